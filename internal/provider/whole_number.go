package provider

import (
	"context"
	"fmt"
	"math/big"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/attr/xattr"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// wholeNumberType is the type of every whole-number attribute. The
// framework's Int64 type turns a fractional number (expiry_days = 1.5) into
// "This is always an error in the provider"; this one turns it into a
// value whose validation says, naming the attribute, that it must be a
// whole number. Whole numbers are plain types.Int64 values, so models keep
// types.Int64 fields.
type wholeNumberType struct {
	basetypes.Int64Type
}

var _ basetypes.Int64Typable = wholeNumberType{}

func (t wholeNumberType) Equal(o attr.Type) bool {
	_, ok := o.(wholeNumberType)
	return ok
}

func (t wholeNumberType) String() string { return "wholeNumberType" }

func (t wholeNumberType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	if in.IsKnown() && !in.IsNull() && in.Type().Is(tftypes.Number) {
		var f *big.Float
		if err := in.As(&f); err == nil && f != nil && !f.IsInt() {
			return fractionalNumber{Int64Value: basetypes.NewInt64Unknown(), text: f.Text('g', -1)}, nil
		}
	}
	return t.Int64Type.ValueFromTerraform(ctx, in)
}

// fractionalNumber is a configured number that is not whole. It exists only
// to fail validation with a user-facing message.
type fractionalNumber struct {
	basetypes.Int64Value
	text string
}

var _ xattr.ValidateableAttribute = fractionalNumber{}

func (v fractionalNumber) Type(context.Context) attr.Type { return wholeNumberType{} }

func (v fractionalNumber) ValidateAttribute(_ context.Context, req xattr.ValidateAttributeRequest, resp *xattr.ValidateAttributeResponse) {
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+req.Path.String(),
		fmt.Sprintf("%s is %s; it must be a whole number.", req.Path, v.text))
}

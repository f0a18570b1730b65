package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/vmihailenco/msgpack/v5"
)

// A data source whose state is a list of thousands of objects writes it
// straight to the wire format instead of handing it to the framework.
//
// Why: terraform-plugin-framework (v1.19.0, internal/fwserver
// ReadDataSource and SchemaSemanticEquality) holds a data source's state as
// a tftypes value, copies it twice and converts it back to framework values
// for its semantic-equality pass, all alive at once: for the
// 10,000-repository list about 60 MB of live heap for 3 MB of answer
// (docs/guides/performance.md, "Memory"). Encoded here, one object at a
// time, the state costs about its own size.

// encodedStateKey marks a context whose data source read may leave its
// state, encoded, in the *encodedState under the key.
type encodedStateKey struct{}

// encodedState is a data source's whole state in msgpack, as
// tfprotov6.DynamicValue carries it; nil until the read sets it.
type encodedState struct{ msgpack []byte }

// encodedStateOf returns the slot of ctx, or nil where nothing will pick
// an encoded state up (a read through the framework alone, as in tests of
// the data source itself): the read then sets its state the usual way.
func encodedStateOf(ctx context.Context) *encodedState {
	s, _ := ctx.Value(encodedStateKey{}).(*encodedState)
	return s
}

// stateEncoder gives each data source read a slot for its encoded state
// and answers with it when the read left one.
type stateEncoder struct {
	fullProviderServer
}

func (s stateEncoder) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	slot := &encodedState{}
	resp, err := s.fullProviderServer.ReadDataSource(context.WithValue(ctx, encodedStateKey{}, slot), req)
	if err != nil || resp == nil || slot.msgpack == nil {
		return resp, err
	}
	for _, d := range resp.Diagnostics {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return resp, nil
		}
	}
	resp.State = &tfprotov6.DynamicValue{MsgPack: slot.msgpack}
	return resp, nil
}

// encodeObjectState encodes a state object: its attributes from top, but
// the one named listName from the n objects item returns. The bytes are
// those tfprotov6.NewDynamicValue writes for the same value
// (TestEncodedStateMatchesTheFramework).
func encodeObjectState(top basetypes.ObjectValue, listName string, n int, item func(i int) (attr.Value, error), sizeHint int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(sizeHint)
	enc := msgpack.NewEncoder(&buf)
	attrs := top.Attributes()
	if _, ok := attrs[listName]; !ok {
		return nil, fmt.Errorf("the state has no attribute %q", listName)
	}
	if err := encodeAttributes(enc, attrs, func(name string) error {
		if name != listName {
			return encodeValue(enc, attrs[name])
		}
		if err := enc.EncodeArrayLen(n); err != nil {
			return err
		}
		for i := range n {
			v, err := item(i)
			if err != nil {
				return err
			}
			if err := encodeValue(enc, v); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeAttributes writes an object as tftypes does (value_msgpack.go,
// marshalMsgPackObject): a map of its attributes in name order.
func encodeAttributes(enc *msgpack.Encoder, attrs map[string]attr.Value, value func(name string) error) error {
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	slices.Sort(names)
	if err := enc.EncodeMapLen(len(names)); err != nil {
		return err
	}
	for _, name := range names {
		if err := enc.EncodeString(name); err != nil {
			return err
		}
		if err := value(name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

var errUnencodable = errors.New("no direct encoding for this value")

// encodeValue writes a known value of the kinds these states hold.
func encodeValue(enc *msgpack.Encoder, v attr.Value) error {
	if v.IsUnknown() {
		return errUnencodable
	}
	if v.IsNull() {
		return enc.EncodeNil()
	}
	switch x := v.(type) {
	case basetypes.StringValue:
		return enc.EncodeString(x.ValueString())
	case basetypes.BoolValue:
		return enc.EncodeBool(x.ValueBool())
	case basetypes.ObjectValue:
		attrs := x.Attributes()
		return encodeAttributes(enc, attrs, func(name string) error { return encodeValue(enc, attrs[name]) })
	case basetypes.ListValue:
		elems := x.Elements()
		if err := enc.EncodeArrayLen(len(elems)); err != nil {
			return err
		}
		for _, e := range elems {
			if err := encodeValue(enc, e); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("%w: %T", errUnencodable, v)
	}
}

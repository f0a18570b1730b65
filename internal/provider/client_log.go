package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/bitbucket"
)

// clientLogSubsystem names the client's request log in Terraform's log
// ("@module": "provider.bitbucket"); TF_LOG and TF_LOG_PROVIDER set its level
// like the rest of the provider's.
const clientLogSubsystem = "bitbucket"

// tflogLogger writes the client's log lines (already masked by the client)
// to the Terraform logger found in each request's context. It holds nothing:
// a request's context is used during the call and not kept.
type tflogLogger struct{}

var _ bitbucket.Logger = tflogLogger{}

func (tflogLogger) Enabled(ctx context.Context, level bitbucket.LogLevel) bool {
	switch level {
	case bitbucket.LogTrace:
		return tflog.IsTrace(ctx)
	case bitbucket.LogDebug:
		return tflog.IsDebug(ctx)
	default:
		return tflog.IsWarn(ctx)
	}
}

func (tflogLogger) Log(ctx context.Context, level bitbucket.LogLevel, msg string, fields map[string]any) {
	ctx = tflog.NewSubsystem(ctx, clientLogSubsystem)
	switch level {
	case bitbucket.LogTrace:
		tflog.SubsystemTrace(ctx, clientLogSubsystem, msg, fields)
	case bitbucket.LogDebug:
		tflog.SubsystemDebug(ctx, clientLogSubsystem, msg, fields)
	default:
		tflog.SubsystemWarn(ctx, clientLogSubsystem, msg, fields)
	}
}

// Command terraform-provider-bitbucket serves the Bitbucket provider to Terraform.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"runtime/debug"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/provider"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

// softMemoryLimit is the provider's default GOMEMLIMIT.
const softMemoryLimit = 80 << 20

func main() {
	var debugMode bool
	flag.BoolVar(&debugMode, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	// A soft memory limit keeps the plugin's peak memory near its live heap
	// when a data source reads tens of thousands of repositories (GC runs
	// more often instead of letting the heap double). GOMEMLIMIT overrides.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}

	opts := providerserver.ServeOpts{
		Address: "registry.terraform.io/bitbucket-iac/bitbucket",
		Debug:   debugMode,
	}
	err := providerserver.Serve(context.Background(), provider.New(version), opts)
	// Terraform has shut the provider down. An interrupted run does not close
	// ephemeral resources: revoke the tokens it left open, within the couple
	// of seconds Terraform waits before killing the process.
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	for _, revokeErr := range provider.RevokeUnclosedEphemeralTokens(ctx) {
		log.Print(revokeErr.Error())
	}
	cancel()
	if err != nil {
		log.Fatal(err.Error())
	}
}

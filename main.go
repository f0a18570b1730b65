// Command terraform-provider-bitbucket serves the Bitbucket provider to Terraform.
package main

import (
	"context"
	"flag"
	"log"
	"os"
	"runtime/debug"

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
	if err := providerserver.Serve(context.Background(), provider.New(version), opts); err != nil {
		log.Fatal(err.Error())
	}
}

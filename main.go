// Command terraform-provider-bitbucket serves the Bitbucket provider to Terraform.
package main

import (
	"flag"
	"log"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/provider"
)

// version is set at build time: -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	if err := provider.Serve("registry.terraform.io/bitbucket-iac/bitbucket", version, debug); err != nil {
		log.Fatal(err.Error())
	}
}

// Command trimspec trims Atlassian's published OpenAPI descriptions of
// Bitbucket Cloud and Data Center to the operations the provider uses, and
// writes the copies the conformance test reads.
//
// Run it from the repository root:
//
//	go run ./internal/emulator/conformance/trimspec [-in internal/emulator/conformance/testdata/published] [-out internal/emulator/conformance/testdata]
//
// -in holds the published descriptions, plain or gzipped (name + ".gz").
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator/conformance"
)

func main() {
	in := flag.String("in", filepath.Join("internal", "emulator", "conformance", filepath.FromSlash(conformance.PublishedDir)), "directory holding the published descriptions (plain or .gz)")
	out := flag.String("out", filepath.Join("internal", "emulator", "conformance", "testdata"), "directory to write the trimmed copies to")
	flag.Parse()
	log.SetFlags(0)

	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, f := range conformance.SpecFiles {
		trimmed, notes, err := conformance.TrimFile(*in, f)
		if err != nil {
			log.Fatal(err)
		}
		for _, n := range notes {
			fmt.Printf("%s: %s\n", f.Source, n)
		}
		dst := filepath.Join(*out, f.Trimmed)
		if err := os.WriteFile(dst, trimmed, 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: wrote %s (%d bytes)\n", f.Source, dst, len(trimmed))
	}
}

// Command bitbucket-emulator runs the in-memory Bitbucket emulator on a
// loopback address, for the demo and for manual testing.
//
//	bitbucket-emulator -product cloud -url-file /tmp/bb.url
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bitbucket-emulator:", err)
		os.Exit(1)
	}
}

func run() error {
	product := flag.String("product", "datacenter", "product to emulate: cloud or datacenter")
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on")
	urlFile := flag.String("url-file", "", "write the base URL to this file once listening")
	latency := flag.Duration("latency", 0, "latency added to every request, e.g. 50ms")
	publicURL := flag.String("public-url", "", "base URL reported in Data Center links (emulates a misconfigured base URL)")
	flag.Parse()

	p := emulator.Product(*product)
	if p != emulator.Cloud && p != emulator.DataCenter {
		return fmt.Errorf("-product must be cloud or datacenter, not %q", *product)
	}
	if err := requireLoopback(*addr); err != nil {
		return err
	}
	srv, err := emulator.Start(emulator.Options{Product: p, PublicURL: *publicURL}, *addr)
	if err != nil {
		return err
	}
	defer func() { _ = srv.Close() }()
	srv.SetLatency(*latency)

	fmt.Printf("Bitbucket %s emulator listening on %s\n", p, srv.URL())
	fmt.Printf("base URL: %s\n", srv.BaseURL())
	if p == emulator.Cloud {
		fmt.Printf("owner:        %s / API token %s\n", emulator.CloudOwnerEmail, emulator.CloudOwnerAPIToken)
		fmt.Printf("member:       %s / API token %s\n", emulator.CloudMemberEmail, emulator.CloudMemberAPIToken)
		fmt.Printf("access token: %s (Bearer, workspace %s)\n", emulator.CloudAccessToken, emulator.CloudWorkspace)
		fmt.Printf("OAuth client: %s / %s (token URL %s)\n", emulator.CloudOAuthClientID, emulator.CloudOAuthClientSecret, srv.OAuthTokenURL())
	} else {
		fmt.Printf("admin:        %s / %s (HTTP access token %s)\n", emulator.DCAdminUser, emulator.DCAdminPassword, emulator.DCAdminToken)
		fmt.Printf("developer:    %s / %s (REPO_READ on %s)\n", emulator.DCDevUser, emulator.DCDevPassword, emulator.DCProject)
	}
	if *urlFile != "" {
		// Write then rename, so a script polling for the file never reads half a URL.
		tmp := *urlFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(srv.BaseURL()+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, *urlFile); err != nil {
			return err
		}
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	sig := <-stop
	fmt.Printf("received %s, shutting down\n", sig)
	return nil
}

// requireLoopback refuses addresses other than loopback: the emulator has
// well-known credentials and must not be reachable from the network.
func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return errors.New("-addr must be a loopback address (127.0.0.1, ::1 or localhost)")
	}
	return nil
}

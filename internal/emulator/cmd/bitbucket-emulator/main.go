// Command bitbucket-emulator runs the in-memory Bitbucket emulator on a
// loopback address, for the demo, manual testing and benchmarks (with
// -admin-addr it serves its control API: counters, latency, rate limit,
// faults; see admin.go).
//
//	bitbucket-emulator -product cloud -url-file /tmp/bb.url
//	bitbucket-emulator -product datacenter -repos 100 -admin-addr 127.0.0.1:0 -info-file /tmp/bb.json
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

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
	adminAddr := flag.String("admin-addr", "", "loopback address of the admin API (counters, latency, rate limit, faults); none when empty")
	infoFile := flag.String("info-file", "", `write {"base_url", "url", "admin_url"} as JSON to this file once listening`)
	repos := flag.Int("repos", 0, "add this many repositories repo-00001... to the seeded workspace (Cloud) or project (Data Center)")
	flag.Parse()

	p := emulator.Product(*product)
	if p != emulator.Cloud && p != emulator.DataCenter {
		return fmt.Errorf("-product must be cloud or datacenter, not %q", *product)
	}
	if err := requireLoopback(*addr); err != nil {
		return err
	}
	if *adminAddr != "" {
		if err := requireLoopback(*adminAddr); err != nil {
			return fmt.Errorf("-admin-addr: %w", err)
		}
	}
	srv, err := emulator.Start(emulator.Options{Product: p, PublicURL: *publicURL}, *addr)
	if err != nil {
		return err
	}
	defer func() { _ = srv.Close() }()
	srv.SetLatency(*latency)
	if *repos > 0 {
		workspace := emulator.DCProject
		if p == emulator.Cloud {
			workspace = emulator.CloudWorkspace
		}
		if err := srv.AddRepositories(workspace, "repo", *repos); err != nil {
			return err
		}
	}
	adminURL := ""
	if *adminAddr != "" {
		ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", *adminAddr)
		if err != nil {
			return err
		}
		admin := &http.Server{Handler: adminHandler(srv), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = admin.Serve(ln) }()
		defer func() { _ = admin.Close() }()
		adminURL = "http://" + ln.Addr().String()
		fmt.Printf("admin API:    %s\n", adminURL)
	}

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
	fmt.Println("seeded:")
	for _, line := range srv.Contents() {
		fmt.Println("  " + line)
	}
	if *urlFile != "" {
		if err := writeAtomically(*urlFile, []byte(srv.BaseURL()+"\n")); err != nil {
			return err
		}
	}
	if *infoFile != "" {
		info, _ := json.Marshal(map[string]string{"base_url": srv.BaseURL(), "url": srv.URL(), "admin_url": adminURL})
		if err := writeAtomically(*infoFile, info); err != nil {
			return err
		}
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	sig := <-stop
	fmt.Printf("received %s, shutting down\n", sig)
	return nil
}

// writeAtomically writes then renames, so a script polling for the file
// never reads half of it.
func writeAtomically(name string, data []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, name)
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

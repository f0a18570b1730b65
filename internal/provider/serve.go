package provider

import (
	"context"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

// profileDirEnv names a directory where the provider process writes a CPU
// profile (cpu-<pid>.pprof) and an allocation profile (allocs-<pid>.pprof)
// of its whole life, and an in-use heap profile near the heap's peak
// (heap-peak-<pid>.pprof; docs/guides/performance.md). Unset: no profiling.
const profileDirEnv = "BITBUCKET_PROVIDER_PPROF_DIR"

// Serve runs the provider process until Terraform shuts it down: it sets the
// process up (log levels, optional profiles), serves the
// framework's server behind the whole-number guard (NewServer), and then
// revokes the ephemeral tokens an interrupted run left open.
func Serve(address, version string, debugMode bool) error {
	if !debugMode {
		matchTerraformLogLevel(os.LookupEnv, os.Setenv)
	}
	stopProfiles := startProfiles(os.Getenv(profileDirEnv))
	var opts []tf6server.ServeOpt
	if debugMode {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	err := tf6server.Serve(address, NewServer(version), opts...)
	// Terraform has shut the provider down. An interrupted run does not close
	// ephemeral resources: revoke the tokens it left open, within the couple
	// of seconds Terraform waits before killing the process.
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	for _, revokeErr := range RevokeUnclosedEphemeralTokens(ctx) {
		log.Print(revokeErr.Error())
	}
	cancel()
	stopProfiles()
	return err
}

// sdkLogLevelEnv are the variables that set the levels of the loggers in
// this process: terraform-plugin-go's SDK and protocol loggers, the
// framework's, and this provider's own (TF_LOG_PROVIDER_<name>).
var sdkLogLevelEnv = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_BITBUCKET"}

// matchTerraformLogLevel sets the loggers of this process, where the user
// did not set them, to the level Terraform keeps of a provider's logs:
// TF_LOG_PROVIDER, else TF_LOG, else none at all. The SDK's loggers
// otherwise default to trace and leave the filtering to Terraform, which
// made a large plan spend a quarter of its CPU formatting log lines that
// Terraform then threw away.
func matchTerraformLogLevel(lookup func(string) (string, bool), set func(string, string) error) {
	level, _ := lookup("TF_LOG_PROVIDER")
	if level == "" {
		level, _ = lookup("TF_LOG")
	}
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "":
		level = "off"
	case "json":
		level = "trace"
	case "trace", "debug", "info", "warn", "error", "off":
	default:
		return // a level Terraform reads its own way: leave it to the SDK
	}
	for _, name := range sdkLogLevelEnv {
		if v, ok := lookup(name); !ok || v == "" {
			_ = set(name, level)
		}
	}
}

// startProfiles starts a CPU profile into dir and returns the function that
// ends it and writes the allocation profile; with dir "" it does nothing.
// Terraform stops the provider with a graceful shutdown, so Serve returns
// and the profiles are complete.
func startProfiles(dir string) func() {
	if dir == "" {
		return func() {}
	}
	name := func(kind string) string {
		return filepath.Join(dir, kind+"-"+strconv.Itoa(os.Getpid())+".pprof")
	}
	cpu, err := os.Create(name("cpu"))
	if err != nil {
		log.Printf("%s: %v", profileDirEnv, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		log.Printf("%s: %v", profileDirEnv, err)
		_ = cpu.Close()
		return func() {}
	}
	stopPeak := watchHeapPeak(name("heap-peak"))
	return func() {
		stopPeak()
		pprof.StopCPUProfile()
		_ = cpu.Close()
		runtime.GC()
		if f, err := os.Create(name("allocs")); err == nil {
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
			_ = f.Close()
		}
	}
}

// watchHeapPeak writes an in-use heap profile to path each time the live
// heap (as of the last collection) passes 1.25 times the one last written,
// so the file ends up holding the heap near its peak rather than at exit,
// when the requests that filled it are gone. It returns the function that
// stops the watch.
func watchHeapPeak(path string) func() {
	stop, done := make(chan struct{}), make(chan struct{})
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	go func() {
		defer close(done)
		ticker := time.NewTicker(50 * time.Millisecond)
		defer ticker.Stop()
		var written uint64
		for {
			select {
			case <-stop:
				return
			case <-ticker.C:
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				return
			}
			if live := sample[0].Value.Uint64(); live > written+written/4 {
				if f, err := os.Create(filepath.Clean(path)); err == nil {
					_ = pprof.Lookup("heap").WriteTo(f, 0)
					_ = f.Close()
					written = live
				}
			}
		}
	}()
	return func() { close(stop); <-done }
}

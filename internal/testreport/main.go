// Command testreport reads `go test -json` output (a file, or stdin) and
// prints what `go test` would have printed without -v (each package's
// result line and the output of every test that failed), then the slowest
// tests, so that `make test` shows where its time goes. It exits 1 when
// anything failed.
//
//	go test -json ./... > bin/go-test.json; go run ./internal/testreport -slowest 20 bin/go-test.json
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

type testKey struct{ pkg, test string }

func main() {
	slowest := flag.Int("slowest", 20, "how many of the slowest tests to list")
	flag.Parse()
	in := io.Reader(os.Stdin)
	if flag.NArg() > 0 {
		f, err := os.Open(flag.Arg(0))
		if err != nil {
			_, _ = fmt.Fprintln(os.Stderr, "testreport:", err)
			os.Exit(2)
		}
		defer func() { _ = f.Close() }()
		in = f
	}
	failed, err := report(in, os.Stdout, *slowest)
	if err != nil {
		_, _ = fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

type timing struct {
	name    string
	elapsed float64
}

// report writes the summary of the events in r to w and reports whether
// any test, package or build failed.
func report(r io.Reader, w io.Writer, slowest int) (bool, error) {
	sum := &summary{w: w, output: map[testKey][]string{}}
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 1<<20), 16<<20)
	for scanner.Scan() {
		line := scanner.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// Not an event (go vet or the compiler writing directly): pass it on.
			_, _ = fmt.Fprintln(w, string(line))
			continue
		}
		sum.add(e)
	}
	if err := scanner.Err(); err != nil {
		return sum.failed, err
	}
	sum.writeUnfinished()
	sum.writeSlowest(slowest)
	return sum.failed, nil
}

// summary is what report gathers while reading events; one method per
// part of the summary keeps each step readable on its own.
type summary struct {
	w       io.Writer
	output  map[testKey][]string
	timings []timing
	failed  bool
}

// add takes one event: package output is passed on, test output is held
// until the test ends and shown only if it failed.
func (s *summary) add(e event) {
	key := testKey{e.Package, e.Test}
	switch e.Action {
	case "output", "build-output":
		if e.Test == "" {
			// Package level: what go test prints without -v, less the
			// per-test lines -json adds.
			if !strings.HasPrefix(e.Output, "=== ") && e.Output != "PASS\n" {
				_, _ = fmt.Fprint(s.w, e.Output)
			}
			return
		}
		s.output[key] = append(s.output[key], e.Output)
	case "fail", "build-fail":
		s.failed = true
		if e.Test != "" {
			for _, o := range s.output[key] {
				_, _ = fmt.Fprint(s.w, o)
			}
		}
		delete(s.output, key)
		s.time(e)
	case "pass", "skip":
		delete(s.output, key)
		s.time(e)
	}
}

// time records a top-level test's elapsed time (subtests overlap their parent).
func (s *summary) time(e event) {
	if e.Test != "" && !strings.Contains(e.Test, "/") {
		s.timings = append(s.timings, timing{shortPackage(e.Package) + " " + e.Test, e.Elapsed})
	}
}

// writeUnfinished names tests that never ended (a panic or the timeout
// killed the binary): their output is the only clue.
func (s *summary) writeUnfinished() {
	unfinished := make([]testKey, 0, len(s.output))
	for key := range s.output {
		unfinished = append(unfinished, key)
	}
	sort.Slice(unfinished, func(i, j int) bool {
		return unfinished[i].pkg+" "+unfinished[i].test < unfinished[j].pkg+" "+unfinished[j].test
	})
	for _, key := range unfinished {
		s.failed = true
		_, _ = fmt.Fprintf(s.w, "--- DID NOT FINISH: %s %s\n", shortPackage(key.pkg), key.test)
		for _, o := range s.output[key] {
			_, _ = fmt.Fprint(s.w, o)
		}
	}
}

// writeSlowest lists the slowest top-level tests, slowest first.
func (s *summary) writeSlowest(slowest int) {
	timings := s.timings
	sort.SliceStable(timings, func(i, j int) bool { return timings[i].elapsed > timings[j].elapsed })
	if len(timings) > slowest {
		timings = timings[:slowest]
	}
	_, _ = fmt.Fprintf(s.w, "Slowest tests (top-level, seconds; parallel tests overlap):\n")
	for _, t := range timings {
		_, _ = fmt.Fprintf(s.w, "%8.1f  %s\n", t.elapsed, t.name)
	}
}

// shortPackage is the package path after the module's internal/.
func shortPackage(p string) string {
	if i := strings.Index(p, "/internal/"); i >= 0 {
		return p[i+len("/internal/"):]
	}
	return p
}

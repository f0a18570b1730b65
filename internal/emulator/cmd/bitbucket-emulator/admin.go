package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/bitbucket-iac/terraform-provider-bitbucket/internal/emulator"
)

// adminHandler is the emulator's control API over HTTP (-admin-addr), so a
// benchmark or a script in any language can measure against the standalone
// emulator: request counters, latency, rate limit and fault injection, the
// same knobs the Go tests use (internal/emulator/README.md, "Admin API").
// Every endpoint answers JSON; GET and POST both work, parameters are query
// parameters.
func adminHandler(srv *emulator.Server) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/counts", func(w http.ResponseWriter, _ *http.Request) {
		counts := srv.RequestCounts()
		total := 0
		for _, n := range counts {
			total += n
		}
		writeAdminJSON(w, http.StatusOK, map[string]any{"total": total, "throttled": srv.ThrottledCount(), "routes": counts})
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, _ *http.Request) {
		srv.ResetCounts()
		writeAdminJSON(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("/requests", func(w http.ResponseWriter, _ *http.Request) {
		type request struct{ Method, Route, Path, RawQuery string }
		out := []request{}
		for _, r := range srv.Requests() {
			out = append(out, request{r.Method, r.Route, r.Path, r.RawQuery})
		}
		writeAdminJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("/latency", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil || d < 0 {
			writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": "d must be a duration, e.g. 20ms"})
			return
		}
		srv.SetLatency(d)
		writeAdminJSON(w, http.StatusOK, map[string]string{"latency": d.String()})
	})
	mux.HandleFunc("/ratelimit", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		n, err := strconv.Atoi(q.Get("n"))
		window, werr := time.ParseDuration(q.Get("window"))
		if err != nil || werr != nil || n < 0 {
			writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": "n (requests, 0 = off) and window (e.g. 1s) are required"})
			return
		}
		srv.SetRateLimit(n, window)
		writeAdminJSON(w, http.StatusOK, map[string]any{"n": n, "window": window.String()})
	})
	mux.HandleFunc("/fault", func(w http.ResponseWriter, r *http.Request) {
		f, err := faultFromQuery(r)
		if err != nil {
			writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		srv.InjectFault(f)
		writeAdminJSON(w, http.StatusOK, map[string]any{"injected": f})
	})
	mux.HandleFunc("/clearfaults", func(w http.ResponseWriter, _ *http.Request) {
		srv.ClearFaults()
		writeAdminJSON(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("/webhooks", func(w http.ResponseWriter, _ *http.Request) {
		hooks := srv.Webhooks()
		type key struct{ ws, repo, name, url string }
		seen := map[key]int{}
		for _, h := range hooks {
			seen[key{h.Workspace, h.Repository, h.Name, h.URL}]++
		}
		duplicates, keys := 0, []string{}
		for k, n := range seen {
			if n > 1 {
				duplicates += n - 1
				keys = append(keys, fmt.Sprintf("%s/%s %q %s x%d", k.ws, k.repo, k.name, k.url, n))
			}
		}
		sort.Strings(keys)
		writeAdminJSON(w, http.StatusOK, map[string]any{"total": len(hooks), "distinct": len(seen), "duplicates": duplicates, "duplicate_keys": keys})
	})
	mux.HandleFunc("/trigger", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		invs, err := srv.TriggerWebhookEvent(q.Get("workspace"), q.Get("repository"), q.Get("event"))
		if err != nil {
			writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeAdminJSON(w, http.StatusOK, invs)
	})
	mux.HandleFunc("/webhook-timeout", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil || d < 0 {
			writeAdminJSON(w, http.StatusBadRequest, map[string]string{"error": "d must be a duration, e.g. 2s"})
			return
		}
		srv.SetWebhookTimeout(d)
		writeAdminJSON(w, http.StatusOK, map[string]string{"webhook_timeout": d.String()})
	})
	return mux
}

// faultFromQuery reads /fault?method=&route=&kind=&status=&times=&delay=&retry_after=.
func faultFromQuery(r *http.Request) (emulator.Fault, error) {
	q := r.URL.Query()
	f := emulator.Fault{Method: q.Get("method"), Route: q.Get("route")}
	var err error
	if v := q.Get("times"); v != "" {
		if f.Times, err = strconv.Atoi(v); err != nil || f.Times < 0 {
			return f, fmt.Errorf("times must be a count (0 = until /clearfaults)")
		}
	}
	switch q.Get("kind") {
	case "status":
		f.Kind = emulator.FaultStatus
		if f.Status, err = strconv.Atoi(q.Get("status")); err != nil || f.Status < 100 || f.Status > 599 {
			return f, fmt.Errorf("kind=status needs status=<HTTP status>")
		}
		if v := q.Get("retry_after"); v != "" {
			if f.RetryAfter, err = time.ParseDuration(v); err != nil {
				return f, fmt.Errorf("retry_after must be a duration")
			}
		}
	case "reset":
		f.Kind = emulator.FaultReset
	case "drop":
		f.Kind = emulator.FaultDropResponse
	case "malformed":
		f.Kind = emulator.FaultMalformedJSON
	case "slow":
		f.Kind = emulator.FaultSlow
		if f.Delay, err = time.ParseDuration(q.Get("delay")); err != nil {
			return f, fmt.Errorf("kind=slow needs delay=<duration>")
		}
	default:
		return f, fmt.Errorf("kind must be status, reset, drop, malformed or slow")
	}
	return f, nil
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

package main

import "testing"

func TestRequireLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:0":    true,
		"[::1]:7990":     true,
		"localhost:7990": true,
		"0.0.0.0:7990":   false,
		":7990":          false,
		"10.1.2.3:80":    false,
		"nonsense":       false,
	} {
		if err := requireLoopback(addr); (err == nil) != ok {
			t.Errorf("requireLoopback(%q) = %v", addr, err)
		}
	}
}

package bitbucket

import (
	"strings"
	"testing"
)

func TestCheckHTTPURL(t *testing.T) {
	for _, ok := range []string{"https://ci.example.com/hook", "http://10.0.0.1:8080/a%20b", "https://u:p@ci.example.com/x?y=1#z"} {
		if _, err := CheckHTTPURL(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for raw, want := range map[string]string{
		"https://ci.example.com/a b":     "white space",
		"https://ci.example.com:99999/x": "port 99999",
		"https://ci.example.com:0/x":     "port 0",
		"https://ci.example.com:/x":      "empty port",
		"ftp://ci.example.com/x":         "absolute http",
		"/relative":                      "absolute http",
		"https://ci.example.com/\tx":     "white space",
	} {
		if _, err := CheckHTTPURL(raw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", raw, err, want)
		}
	}
}

func TestCheckBaseURL(t *testing.T) {
	for _, ok := range []string{"https://bitbucket.example.com", "https://example.com/bitbucket/", "http://127.0.0.1:7990"} {
		if _, err := CheckBaseURL(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for raw, want := range map[string]string{
		"https://bitbucket.example.com/?x=1":                 "query",
		"https://bitbucket.example.com/?":                    "query",
		"https://bitbucket.example.com/#top":                 "fragment",
		"https://admin:s3cret@bitbucket.example.com":         "credentials",
		"https://admin:s3cret@bitbucket.example.com:99999/x": "credentials",
		"https://admin:s3cret@bitbucket example.com":         "without credentials",
	} {
		_, err := CheckBaseURL(raw)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", raw, err, want)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: the error shows the password: %v", raw, err)
		}
	}
}

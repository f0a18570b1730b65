package bitbucket

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// CheckHTTPURL is the one rule for a URL the provider sends or stores (a
// webhook's url, the OAuth token URL): an absolute http:// or https:// URL
// with a host, a port (when given) from 1 to 65535, and no white space or
// control character anywhere (a space in a path is not a URL; RFC 3986
// section 2). Errors show the URL with any password replaced.
func CheckHTTPURL(raw string) (*url.URL, error) {
	if i := strings.IndexFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		return nil, fmt.Errorf("holds white space or a control character at position %d; encode a space in a path as %%20", i+1)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("is not a URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("is %q; it must be an absolute http:// or https:// URL", u.Redacted())
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("has port %s; a port is a number from 1 to 65535", p)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return nil, errors.New("has an empty port")
	}
	return u, nil
}

// CheckBaseURL is the one rule for the provider's base_url: CheckHTTPURL,
// and no credentials (they would be logged and sent with every request;
// use username + token or access_token), no query and no fragment (the
// client builds paths under the base URL, so they would be dropped). The
// error never shows credentials.
func CheckBaseURL(raw string) (*url.URL, error) {
	u, err := CheckHTTPURL(raw)
	if err != nil {
		if strings.Contains(raw, "@") {
			return nil, errors.New("is not an absolute http:// or https:// URL without credentials")
		}
		return nil, err
	}
	switch {
	case u.User != nil:
		return nil, errors.New("holds credentials (user:password@); set username + token or access_token instead")
	case u.RawQuery != "" || u.ForceQuery:
		return nil, fmt.Errorf("is %q; it must not have a query (?…)", u.Redacted())
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, fmt.Errorf("is %q; it must not have a fragment (#…)", u.Redacted())
	}
	return u, nil
}

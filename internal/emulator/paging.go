package emulator

import (
	"net/http"
	"strconv"
)

const (
	cloudMaxPagelen = 100
	dcDefaultLimit  = 25
	dcMaxLimit      = 1000
)

// cloudPage answers one page of items in Cloud's envelope. page is 1-based;
// pagelen defaults to defaultLen and larger values clamp to 100. next is an
// absolute URL on the request's own scheme and host, absent on the last page.
func cloudPage[T any](c *call, items []T, defaultLen int, render func(T) any) response {
	q := c.r.URL.Query()
	pagelen := defaultLen
	if v := q.Get("pagelen"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return cloudError(http.StatusBadRequest, "Invalid pagelen: "+v)
		}
		pagelen = min(n, cloudMaxPagelen)
	}
	page := 1
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return cloudError(http.StatusBadRequest, "Invalid page: "+v)
		}
		page = n
	}
	start := min((page-1)*pagelen, len(items))
	end := min(start+pagelen, len(items))
	values := make([]any, 0, end-start)
	for _, it := range items[start:end] {
		values = append(values, render(it))
	}
	out := map[string]any{
		"size":    len(items),
		"page":    page,
		"pagelen": pagelen,
		"values":  values,
	}
	pageURL := func(n int) string {
		q := c.r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		if q.Get("pagelen") != "" {
			q.Set("pagelen", strconv.Itoa(pagelen))
		}
		return requestBase(c.r) + c.r.URL.EscapedPath() + "?" + q.Encode()
	}
	if end < len(items) {
		out["next"] = pageURL(page + 1)
	}
	if page > 1 {
		out["previous"] = pageURL(page - 1)
	}
	return jsonResponse(http.StatusOK, out)
}

// dcPage answers one page of items in Data Center's envelope: start defaults
// to 0, limit to 25 and clamps to 1000.
func dcPage[T any](c *call, items []T, render func(T) any) response {
	q := c.r.URL.Query()
	start := 0
	if v := q.Get("start"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return dcError(http.StatusBadRequest, exArgumentValidation, "start must be a non-negative integer")
		}
		start = n
	}
	limit := dcDefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return dcError(http.StatusBadRequest, exArgumentValidation, "limit must be an integer")
		}
		if n > 0 {
			limit = min(n, dcMaxLimit)
		}
	}
	from := min(start, len(items))
	to := min(from+limit, len(items))
	values := make([]any, 0, to-from)
	for _, it := range items[from:to] {
		values = append(values, render(it))
	}
	out := map[string]any{
		"size":       len(values),
		"limit":      limit,
		"isLastPage": to >= len(items),
		"start":      start,
		"values":     values,
	}
	if to < len(items) {
		out["nextPageStart"] = to
	}
	return jsonResponse(http.StatusOK, out)
}

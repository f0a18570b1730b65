package bitbucket

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
)

// Page sizes: the largest each product honours, so that a list costs as few
// requests (and as little of Cloud's hourly rate limit) as possible.
const (
	cloudPageLen = 100
	dcPageLimit  = 1000
)

// cloudPage is Cloud's paged envelope. Only values and next are guaranteed.
type cloudPage[T any] struct {
	Values []T    `json:"values"`
	Next   string `json:"next"`
}

// listCloud reads every page of a Cloud collection, following next as an
// opaque URL until it is absent.
func listCloud[T any](ctx context.Context, h *httpClient, path string, query url.Values) ([]T, error) {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("pagelen", strconv.Itoa(cloudPageLen))
	next := h.url(path, q)

	var all []T
	seen := map[string]bool{}
	for next != "" {
		if seen[next] {
			return nil, fmt.Errorf("GET %s: the server's next link repeats a page (%s)", path, next)
		}
		seen[next] = true
		var page cloudPage[T]
		if err := h.getJSONURL(ctx, next, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Values...)
		if page.Next == "" {
			break
		}
		resolved, err := resolveLink(next, page.Next)
		if err != nil {
			return nil, fmt.Errorf("GET %s: the next link %q is not a URL: %w", path, page.Next, err)
		}
		next = resolved
	}
	return all, nil
}

// resolveLink resolves next against the page it came from; Cloud sends
// absolute URLs, and those come back unchanged.
func resolveLink(current, next string) (string, error) {
	cur, err := url.Parse(current)
	if err != nil {
		return "", err
	}
	n, err := url.Parse(next)
	if err != nil {
		return "", err
	}
	return cur.ResolveReference(n).String(), nil
}

// dcPage is Data Center's paged envelope.
type dcPage[T any] struct {
	Values        []T  `json:"values"`
	IsLastPage    bool `json:"isLastPage"`
	NextPageStart *int `json:"nextPageStart"`
}

// listDC reads every page of a Data Center collection with start/limit
// until isLastPage.
func listDC[T any](ctx context.Context, h *httpClient, path string, query url.Values) ([]T, error) {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("limit", strconv.Itoa(dcPageLimit))

	var all []T
	start := 0
	for {
		q.Set("start", strconv.Itoa(start))
		var page dcPage[T]
		if err := h.getJSON(ctx, path, q, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Values...)
		if page.IsLastPage {
			return all, nil
		}
		if page.NextPageStart == nil || *page.NextPageStart <= start {
			return nil, fmt.Errorf("GET /%s: the page at start=%d is not the last one but gives no later nextPageStart", path, start)
		}
		start = *page.NextPageStart
	}
}

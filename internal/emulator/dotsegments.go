package emulator

import (
	"net/url"
	"strings"
)

// normalizePath turns the request's raw path into the path the servers in
// front of Bitbucket route on, so a test sees what a dot segment does there:
//
//   - Tomcat, which Bitbucket Data Center runs on, first strips path
//     parameters (";name=value") from each segment, then %-decodes the path
//     (so "%2e%2e" becomes "..") and then normalizes it, resolving "." and ".."
//     segments and answering 400 to a ".." that climbs above the root
//     (org.apache.catalina.connector.CoyoteAdapter.postParseRequest:
//     parsePathParameters, URLDecoder.convert, normalize;
//     https://github.com/apache/tomcat/blob/main/java/org/apache/catalina/connector/CoyoteAdapter.java).
//   - nginx, a common front end of both, matches locations "against a
//     normalized URI, after decoding the text encoded in the %XX form,
//     resolving references to relative path components . and .."
//     (https://nginx.org/en/docs/http/ngx_http_core_module.html#location).
//
// Both resolve dot segments as RFC 3986 section 5.2.4 (remove_dot_segments)
// does. An encoded slash (%2F) stays inside its segment (Tomcat rejects it by
// default, which the provider never sends). ok is false when ".." climbs
// above the root.
func normalizePath(rawPath string) (path string, ok bool) {
	segs := strings.Split(rawPath, "/")
	for i, s := range segs {
		if semi := strings.IndexByte(s, ';'); semi >= 0 {
			s = s[:semi]
		}
		segs[i] = decodeDots(s)
	}
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			// out[0] is the empty segment before the leading "/".
			if len(out) <= 1 {
				return "", false
			}
			out = out[:len(out)-1]
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	joined := strings.Join(out, "/")
	decoded, err := url.PathUnescape(joined)
	if err != nil {
		return "", false
	}
	return decoded, true
}

// decodeDots decodes "%2e"/"%2E" in one raw segment, so the dot-segment
// check sees what the server sees after its %-decoding; other escapes are
// decoded later, after the segments are resolved.
func decodeDots(seg string) string {
	if !strings.Contains(seg, "%") {
		return seg
	}
	r := strings.NewReplacer("%2e", ".", "%2E", ".")
	return r.Replace(seg)
}

package bitbucket

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Identifier rules. Every workspace, repository and user that goes into a
// request path is one of these, checked once here: the provider validates
// configuration and import IDs with CheckIdentifier, and the client refuses
// to send a path with a dot segment (checkPathSegments). A "." or ".." would
// otherwise be resolved by the servers in front of Bitbucket (Tomcat, nginx;
// RFC 3986 section 5.2.4) and turn, say, a repository token into a project
// token.
//
// The rules accept what either product accepts, because `workspace` means a
// Cloud workspace or a Data Center project.

// IdentifierKind names what an identifier is.
type IdentifierKind string

const (
	// IdentifierWorkspace is a Cloud workspace ID or a Data Center project key.
	IdentifierWorkspace IdentifierKind = "workspace"
	// IdentifierRepository is a repository slug.
	IdentifierRepository IdentifierKind = "repository"
	// IdentifierUser is a Data Center user slug.
	IdentifierUser IdentifierKind = "user"
)

var (
	// Cloud accepts a workspace, repository or account by its UUID in
	// braces wherever it takes the slug (Bitbucket Cloud OpenAPI, path
	// parameters `workspace` and `repo_slug`: "the UUID ... surrounded by
	// curly-braces, for example `{workspace UUID}`").
	cloudUUIDPattern = regexp.MustCompile(`^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$`)

	// Cloud workspace IDs: "can only contain lowercase letters with no
	// spaces or special characters"
	// (https://support.atlassian.com/bitbucket-cloud/docs/change-a-workspace-id/);
	// IDs that began as account usernames also hold digits, "-" and "_".
	// Cloud matches them without regard to case.
	cloudWorkspacePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

	// Data Center project keys start with a letter and hold only ASCII
	// letters, digits and "_", at most 128 characters (the server's
	// message: "Project keys must start with a letter and may only consist
	// of ASCII letters, numbers and underscores (_)"). A personal project's
	// key is "~" and its owner's user slug.
	dcProjectKeyPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,127}$`)

	// Repository slugs on both products allow "ASCII alphanumeric
	// characters, underscores (_), en dashes (-), and periods (.)"
	// (https://support.atlassian.com/bitbucket-cloud/docs/what-is-a-slug/).
	repositorySlugPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// userSlugForbidden are the characters a Data Center user slug never holds:
// the slug is the URL-safe form of the user name (Data Center OpenAPI,
// path parameter `userSlug`), so nothing that ends or escapes a path
// segment, and no white space.
const userSlugForbidden = "/\\?#%;"

// CheckIdentifier reports why value cannot be an identifier of this kind,
// or nil. The error names no attribute; the caller does.
func CheckIdentifier(kind IdentifierKind, value string) error {
	if strings.TrimSpace(value) == "" {
		return errors.New("must not be empty or only white space")
	}
	if value == "." || value == ".." {
		return fmt.Errorf("is %q, a relative path segment, which servers resolve to the parent path", value)
	}
	switch kind {
	case IdentifierWorkspace:
		if cloudUUIDPattern.MatchString(value) || cloudWorkspacePattern.MatchString(value) ||
			dcProjectKeyPattern.MatchString(value) {
			return nil
		}
		if user, personal := strings.CutPrefix(value, "~"); personal && CheckIdentifier(IdentifierUser, user) == nil {
			return nil
		}
		return fmt.Errorf("is %q; use a Cloud workspace ID (letters, digits, - and _) or its {UUID}, or a Data "+
			"Center project key (a letter, then letters, digits and _) or ~user for a personal project", value)
	case IdentifierRepository:
		if cloudUUIDPattern.MatchString(value) || repositorySlugPattern.MatchString(value) {
			return nil
		}
		return fmt.Errorf("is %q; a repository slug holds only ASCII letters, digits, -, _ and . (or use the "+
			"repository's {UUID} on Cloud)", value)
	case IdentifierUser:
		if strings.ContainsAny(value, userSlugForbidden) || strings.IndexFunc(value, isSpaceOrControl) >= 0 ||
			!utf8.ValidString(value) {
			return fmt.Errorf("is %q; a user slug holds no white space and none of %s", value, spaced(userSlugForbidden))
		}
		return nil
	}
	return fmt.Errorf("unknown identifier kind %q", kind)
}

// CheckObjectNumber reports whether id can be the id of a Data Center
// webhook or access token, both positive decimal numbers (Data Center
// OpenAPI: RestWebhook.id and the tokenId path parameters are numbers).
func CheckObjectNumber(id string) error {
	if n, err := strconv.ParseUint(id, 10, 63); err != nil || n == 0 {
		return fmt.Errorf("is %q; it must be a number", id)
	}
	return nil
}

// CheckWebhookID reports whether id can name a webhook on the client's
// product: a UUID (with or without braces) on Cloud, a number on Data Center.
func CheckWebhookID(c Client, id string) error {
	if c.Product() == ProductDataCenter {
		return CheckObjectNumber(id)
	}
	if cloudUUIDPattern.MatchString("{" + strings.Trim(id, "{}") + "}") {
		return nil
	}
	return fmt.Errorf("is %q; it must be the webhook's UUID", id)
}

func isSpaceOrControl(r rune) bool {
	return r <= ' ' || r == 0x7f || r == utf8.RuneError || strings.ContainsRune("\u0085\u00a0\u2028\u2029", r)
}

func spaced(chars string) string {
	parts := make([]string, 0, len(chars))
	for _, c := range chars {
		parts = append(parts, string(c))
	}
	return strings.Join(parts, " ")
}

// checkPathSegments refuses a request path with a "." or ".." segment,
// plain or %-encoded (Tomcat decodes "%2e" before it resolves them), or
// with a ";" parameter that Tomcat strips before resolving: such a path
// would reach another object than the one named.
func checkPathSegments(escapedPath string) error {
	for _, s := range strings.Split(escapedPath, "/") {
		if i := strings.IndexByte(s, ';'); i >= 0 {
			s = s[:i]
		}
		s = strings.NewReplacer("%2e", ".", "%2E", ".").Replace(s)
		if s == "." || s == ".." {
			return fmt.Errorf("%w: the request path %q has a %q segment, which servers resolve to another object; "+
				"refusing to send it", ErrInvalidIdentifier, escapedPath, s)
		}
	}
	return nil
}

// ErrInvalidIdentifier is returned, without a request, for a path that
// would not name the object asked for.
var ErrInvalidIdentifier = errors.New("invalid identifier")

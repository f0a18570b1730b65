package emulator

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Bitbucket Cloud access tokens from the OAuth consumer flow last two hours.
const oauthTokenLifetime = 7200 * time.Second

func oauthError(code, description string) response {
	return jsonResponse(http.StatusBadRequest, map[string]any{"error": code, "error_description": description})
}

// POST /site/oauth2/access_token: client_credentials or refresh_token grant,
// client authenticated with Basic client_id:secret (or form fields).
func cloudOAuthToken(c *call) response {
	form, err := url.ParseQuery(string(c.body))
	if err != nil {
		return oauthError("invalid_request", "The request body must be form-encoded.")
	}
	id, secret, ok := c.r.BasicAuth()
	if !ok {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	client := c.s.st.oauthClients[id]
	if client == nil || client.secret != secret {
		return oauthError("invalid_client", "Invalid OAuth client credentials")
	}
	switch form.Get("grant_type") {
	case "client_credentials":
	case "refresh_token":
		old := c.s.st.oauthRefresh[form.Get("refresh_token")]
		if old == nil || old.client != client {
			return oauthError("invalid_grant", "Invalid refresh_token")
		}
		delete(c.s.st.oauthRefresh, old.refresh)
		delete(c.s.st.oauthTokens, old.token)
	case "":
		return oauthError("invalid_request", "Missing grant_type parameter")
	default:
		return oauthError("unsupported_grant_type", "Unsupported grant type: "+form.Get("grant_type"))
	}
	t := &oauthToken{
		token:   randomHex(64),
		refresh: randomHex(32),
		client:  client,
		expires: c.now.Add(oauthTokenLifetime),
	}
	c.s.st.oauthTokens[t.token] = t
	c.s.st.oauthRefresh[t.refresh] = t
	return jsonResponse(http.StatusOK, map[string]any{
		"access_token":  t.token,
		"scopes":        strings.Join(client.scopes, " "),
		"token_type":    "bearer",
		"expires_in":    int(oauthTokenLifetime.Seconds()),
		"state":         "client_credentials",
		"refresh_token": t.refresh,
	})
}

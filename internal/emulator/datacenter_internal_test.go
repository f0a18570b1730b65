package emulator

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The stored hook password is never returned, so this checks it in the state.
func TestDCReplaceKeepsPasswordWhenOnlyUsernameSent(t *testing.T) {
	srv := New(Options{Product: DataCenter})
	send := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.SetBasicAuth(DCAdminUser, DCAdminPassword)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	base := "/rest/api/1.0/projects/PRJ/repos/api-service/webhooks"
	if rec := send("POST", base, `{"name":"ci","url":"https://ci.example.com/","credentials":{"username":"u","password":"pw"}}`); rec.Code != http.StatusOK {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	hook := srv.st.hookOrder[0]
	if rec := send("PUT", base+"/"+hook.id, `{"name":"ci","url":"https://ci.example.com/","credentials":{"username":"u"}}`); rec.Code != http.StatusOK {
		t.Fatalf("replace: %d %s", rec.Code, rec.Body)
	}
	if hook.credUser != "u" || hook.credPass != "pw" {
		t.Errorf("credentials after username-only PUT: %q/%q", hook.credUser, hook.credPass)
	}
	if strings.Contains(send("GET", base+"/"+hook.id, "").Body.String(), "pw") {
		t.Error("password returned on read")
	}
	if rec := send("PUT", base+"/"+hook.id, `{"name":"ci","url":"https://ci.example.com/"}`); rec.Code != http.StatusOK {
		t.Fatalf("replace: %d %s", rec.Code, rec.Body)
	}
	if hook.credUser != "" || hook.credPass != "" {
		t.Errorf("credentials survived a PUT without them: %q/%q", hook.credUser, hook.credPass)
	}
}

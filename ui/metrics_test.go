package ui

import (
	"net/http"
	"strings"
	"testing"
)

// /metrics is served to this machine, and to others only with an
// administrator's token; a proxy's forwarding header does not pass for
// this machine.
func TestMetricsAccess(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	get := func(token string, forwarded bool) response {
		t.Helper()
		req, _ := http.NewRequest("GET", e.ts.URL+"/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if forwarded {
			req.Header.Set("X-Forwarded-For", "192.0.2.7")
		}
		return e.send(http.DefaultClient, req)
	}
	get("", false).want(t, http.StatusNotFound, "without a metrics handler")
	e.srv.cfg.Metrics = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("baoxue_test 1\n"))
	})
	admin, officer := e.login("admin", adminPassword), e.login("officer", "password-1")
	tests := []struct {
		name      string
		token     string
		forwarded bool
		want      int
	}{
		{"loopback", "", false, http.StatusOK},
		{"through a proxy", "", true, http.StatusUnauthorized},
		{"through a proxy, officer", officer, true, http.StatusForbidden},
		{"through a proxy, admin", admin, true, http.StatusOK},
		{"through a proxy, bad token", "nope", true, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		r := get(tt.token, tt.forwarded).want(t, tt.want, tt.name)
		if got := strings.Contains(string(r.body), "baoxue_test 1"); got != (tt.want == http.StatusOK) {
			t.Errorf("%s: body %q", tt.name, r.body)
		}
	}
}

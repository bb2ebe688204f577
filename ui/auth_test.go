package ui

import (
	"net/http"
	"net/url"
	"testing"
)

// After logging in, the browser goes only to a path on this site: a next=
// that a browser would follow elsewhere (//host, /\host, a tab or newline
// it strips, a scheme) sends it to the children's list instead.
func TestLoginNextStaysOnSite(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ next, want string }{
		{"/students?q=x", "/students?q=x"},
		{"/cases/C1", "/cases/C1"},
		{"", "/students"},
		{"//evil.example", "/students"},
		{"/\\evil.example", "/students"},
		{"/\t/evil.example", "/students"},
		{"/\n/evil.example", "/students"},
		{"/\r\n/evil.example", "/students"},
		{"\t//evil.example", "/students"},
		{"https://evil.example/", "/students"},
		{"javascript:alert(1)", "/students"},
		{"/a\\b", "/students"},
		{"evil.example", "/students"},
		{"/ /evil.example", "/students"},
	} {
		br := e.browser()
		page := br.get("/login?next="+url.QueryEscape(c.next)).want(t, http.StatusOK, "login page")
		r := br.post("/login", url.Values{csrfField: {csrfFrom(t, page)}, "username": {"admin"}, "password": {adminPassword},
			"next": {c.next}})
		r.want(t, http.StatusSeeOther, "login")
		if loc := r.header.Get("Location"); loc != c.want {
			t.Errorf("next=%q: Location %q, want %q", c.next, loc, c.want)
		}
	}
}

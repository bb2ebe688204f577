package ui

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"baoxue/store"
)

// A body the one-pass decoder (store/jsonfast) declines is decoded by
// encoding/json as before: keys in another case are taken, a key given
// twice keeps its last value, and a lone surrogate becomes U+FFFD, which
// the check refuses. The usual body takes the one pass with the same result.
func TestBodyDecodedAsEncodingJSON(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	body := func(seq int, name string) string {
		b := child("", seq)
		delete(b, "name")
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return "{" + name + "," + string(raw[1:])
	}
	for _, tt := range []struct {
		body, want string
	}{
		{body(51, `"name":"韦小明"`), "韦小明"},
		{body(52, `"NAME":"甲","name":"韦小兰"`), "韦小兰"},
		{body(53, `"Name":"蓝小军"`), "蓝小军"},
		{body(55, `"name":"韦\u5c0f\u660e"`), "韦小明"},
	} {
		r := e.api("POST", "/api/v1/students", tok, tt.body).want(t, http.StatusCreated, "create "+tt.body[:40])
		var out struct{ Student store.Student }
		r.json(t, &out)
		var s store.Student
		e.api("GET", "/api/v1/students/"+out.Student.ID, tok, nil).want(t, http.StatusOK, "get").json(t, &s)
		if s.Name != tt.want || !strings.HasPrefix(s.IDNumber, "45") {
			t.Errorf("%s: name %q, want %q", tt.body[:40], s.Name, tt.want)
		}
	}
	r := e.api("POST", "/api/v1/students", tok, body(54, `"name":"韦\ud800明"`)).want(t, http.StatusBadRequest, "lone surrogate")
	if m := r.obj(t); m["field"] != "name" {
		t.Errorf("lone surrogate: %v, want an error naming the name", m)
	}
}

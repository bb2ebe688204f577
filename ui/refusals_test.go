package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Bad input gets a clear 400 and changes nothing: a birth date in the
// future or an age impossible for the grade, a name that is not valid
// UTF-8 (as JSON or as a form; never stored as U+FFFD), a JSON body that is
// null, a list or not sent as JSON.
func TestBadBodiesAreRefused(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	before := e.total(admin)
	bad := child("韦", 1)
	bad["name"] = "PLACEHOLDER"
	raw := strings.Replace(mustJSON(t, bad), "PLACEHOLDER", "\xff\xfe", 1)
	r := e.api("POST", "/api/v1/students", admin, raw).want(t, http.StatusBadRequest, "invalid UTF-8 in JSON")
	if !strings.Contains(r.obj(t)["error"].(string), "UTF-8") {
		t.Errorf("invalid UTF-8: %s", r.body)
	}
	bad["name"] = "韦\uFFFD"
	if f := e.api("POST", "/api/v1/students", admin, bad).want(t, http.StatusBadRequest, "U+FFFD in a name").obj(t)["field"]; f != "name" {
		t.Errorf("U+FFFD refused on %v", f)
	}
	for _, c := range []struct{ name, birth string }{{"born in the future", "20991231"}, {"a baby in grade 3", "20260101"}, {"30 in grade 3", "19960101"}} {
		kid := child("韦", 5)
		kid["id_number"] = idNumber(c.birth, 5)
		if f := e.api("POST", "/api/v1/students", admin, kid).want(t, http.StatusBadRequest, c.name).obj(t)["field"]; f != "id_number" {
			t.Errorf("%s refused on %v", c.name, f)
		}
	}
	br := e.browser()
	br.login("admin", adminPassword)
	page := br.get("/students/new").want(t, http.StatusOK, "form")
	form := url.Values{csrfField: {csrfFrom(t, page)}, "name": {"韦\xff"}, "gender": {"M"}, "id_number": {idNumber("20170315", 1)},
		"village_code": {villA}, "school_code": {schoolA}, "grade": {"3"}, "class": {"2"}, "status": {"enrolled"}}
	if msg := fieldError(parseHTML(t, br.post("/students/new", form).want(t, http.StatusBadRequest, "form")), "name"); !strings.Contains(msg, "UTF-8") {
		t.Errorf("form message beside name: %q", msg)
	}
	for _, c := range []struct{ body, ctype string }{{"null", "application/json"}, {"[]", "application/json"},
		{`{"voter": false, "ttl": "24h"}`, "text/plain"}, {"", "application/json"}} {
		req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/cluster/tokens", strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer "+admin)
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		e.send(http.DefaultClient, req).want(t, http.StatusBadRequest, c.ctype+" "+c.body)
	}
	if n := e.total(admin); n != before {
		t.Errorf("%d children after refusals, want %d", n, before)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

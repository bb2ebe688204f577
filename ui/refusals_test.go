package ui

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"baoxue/store"
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

// An org name over the length limit, a parent that does not exist and a
// user scope naming a unit that does not exist are a 400 at the handler,
// before anything goes through the log.
func TestOrgAndScopeRefusedAtTheHandler(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	before := e.db.AppliedIndex()
	for _, c := range []struct {
		path  string
		body  map[string]string
		field string
	}{
		{"/api/v1/townships", map[string]string{"code": "T8", "name": strings.Repeat("镇", 51)}, "name"},
		{"/api/v1/villages", map[string]string{"code": "V8", "name": "新村", "township_code": "nosuch"}, "township_code"},
		{"/api/v1/schools", map[string]string{"code": "S8", "name": "新校", "type": "primary", "township_code": "nosuch"}, "township_code"},
		{"/api/v1/groups", map[string]string{"code": "G8", "name": "新组", "village_code": "nosuch"}, "village_code"},
		{"/api/v1/users", map[string]string{"username": "u8", "password": "long-enough", "role": "viewer", "line": "education", "scope": "township:nosuch"}, "scope"},
		{"/api/v1/users", map[string]string{"username": "u8", "password": "long-enough", "role": "viewer", "line": "education", "scope": "school:nosuch"}, "scope"},
		{"/api/v1/users", map[string]string{"username": "u8", "password": "long-enough", "role": "teacher", "line": "education", "scope": "class:" + schoolA + "/8/1"}, "scope"},
	} {
		r := e.api("POST", c.path, admin, c.body).want(t, http.StatusBadRequest, c.path+" "+c.field)
		if f := r.obj(t)["field"]; f != c.field {
			t.Errorf("%s: refused on %v, want %s", c.path, f, c.field)
		}
	}
	if e.db.AppliedIndex() != before {
		t.Errorf("refusals went through the log: applied index %d, was %d", e.db.AppliedIndex(), before)
	}
}

// An edit of a version ahead of this replica's record is checked with the
// leader first: a version still ahead after catching up was never made
// (409, nothing written), not 503 "no leader"; only when the leader cannot
// be reached is it 503.
func TestPatchOfAVersionAhead(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	id := e.createChild(tok, child("莫小兰", 42))
	o := &testOutbox{}
	withOutbox(e, o)
	r := e.api("PATCH", "/api/v1/students/"+id, tok, map[string]any{"version": 999, "class": 3}).want(t, http.StatusConflict, "far ahead")
	if f := r.obj(t)["field"]; f != "version" {
		t.Errorf("far ahead refused on %v", f)
	}
	if o.calls() != 1 {
		t.Errorf("%d reads through the leader, want 1", o.calls())
	}
	o.mu.Lock()
	o.readErr = errors.New("no leader")
	o.mu.Unlock()
	e.api("PATCH", "/api/v1/students/"+id, tok, map[string]any{"version": 2, "class": 3}).want(t, http.StatusServiceUnavailable, "leader unreachable")
	var st store.Student
	e.api("GET", "/api/v1/students/"+id, tok, nil).want(t, http.StatusOK, "get").json(t, &st)
	if st.Version != 1 || st.Class != 2 {
		t.Errorf("record changed: version %d class %d", st.Version, st.Class)
	}
}

// A command id sent again with the same request is answered with its first
// result; with another request it is refused (409 on command_id) and
// nothing is written, as JSON and as a form.
func TestReusedCommandIDWithAnotherRequest(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	body := child("韦小明", 91)
	body["command_id"] = "cmd-reuse-1"
	e.api("POST", "/api/v1/students", admin, body).want(t, http.StatusCreated, "first")
	e.api("POST", "/api/v1/students", admin, body).want(t, http.StatusCreated, "the same again")
	other := child("韦小红", 92)
	other["command_id"] = "cmd-reuse-1"
	r := e.api("POST", "/api/v1/students", admin, other).want(t, http.StatusConflict, "another request, same id")
	if f := r.obj(t)["field"]; f != "command_id" {
		t.Errorf("refused on %v", f)
	}
	if n := e.total(admin); n != 1 {
		t.Errorf("%d children, want 1", n)
	}
	br := e.browser()
	br.login("admin", adminPassword)
	page := br.get("/org").want(t, http.StatusOK, "org page")
	form := url.Values{csrfField: {csrfFrom(t, page)}, "form": {"township"}, "code": {"T7"}, "name": {"七镇"}, "command_id": {"cmd-reuse-2"}}
	br.post("/org", form).want(t, http.StatusSeeOther, "form")
	form.Set("name", "另一个镇")
	br.post("/org", form).want(t, http.StatusConflict, "form, another request")
}

package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"baoxue/store"
)

func TestHealthz(t *testing.T) {
	e := newEnv(t)
	r := e.api("GET", "/healthz", "", nil).want(t, http.StatusOK, "healthz")
	got := r.obj(t)
	want := map[string]any{"status": "ok", "node_id": "node-a", "raft_state": "Leader", "applied_index": float64(1)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("healthz (-want +got):\n%s", diff)
	}
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, user, password string
		status               int
	}{
		{"right", "admin", adminPassword, http.StatusOK},
		{"wrong password", "admin", "nope-nope", http.StatusUnauthorized},
		{"unknown user", "nobody", adminPassword, http.StatusUnauthorized},
		{"empty", "", "", http.StatusUnauthorized},
	}
	var bodies []string
	for _, tt := range tests {
		r := e.api("POST", "/api/v1/login", "", map[string]string{"username": tt.user, "password": tt.password})
		if r.status != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, r.status, tt.status, r.body)
		}
		if r.status == http.StatusUnauthorized {
			bodies = append(bodies, string(r.body))
		}
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Errorf("401 bodies differ: %q and %q (must not tell unknown user from wrong password)", bodies[0], b)
		}
	}
	if r := e.api("GET", "/api/v1/students", "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("no token: status %d, want 401", r.status)
	}
	if r := e.api("GET", "/api/v1/students", "not-a-token", nil); r.status != http.StatusUnauthorized {
		t.Errorf("bad token: status %d, want 401", r.status)
	}
}

func TestLogoutAndExpiry(t *testing.T) {
	e := newEnv(t)
	tok := e.login("admin", adminPassword)
	e.api("GET", "/api/v1/townships", tok, nil).want(t, http.StatusOK, "before logout")
	e.api("POST", "/api/v1/logout", tok, nil).want(t, http.StatusNoContent, "logout")
	e.api("GET", "/api/v1/townships", tok, nil).want(t, http.StatusUnauthorized, "after logout")

	tok = e.login("admin", adminPassword)
	e.srv.now = func() time.Time { return time.Now().Add(sessionTTL + time.Minute) }
	e.api("GET", "/api/v1/townships", tok, nil).want(t, http.StatusUnauthorized, "after 12h")
}

func TestCreateAndGet(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	body := child("韦小明", 13)
	r := e.api("POST", "/api/v1/students", tok, body).want(t, http.StatusCreated, "create")
	var out struct {
		Student store.Student
		Command struct{ ID, State string }
	}
	r.json(t, &out)
	if out.Student.ID == "" || out.Student.Version != 1 || out.Command.State != "applied" || out.Command.ID == "" {
		t.Fatalf("create answered %s", r.body)
	}
	var got store.Student
	e.api("GET", "/api/v1/students/"+out.Student.ID, tok, nil).want(t, http.StatusOK, "get").json(t, &got)
	if got.Name != "韦小明" || got.IDNumber != body["id_number"] || got.BirthDate != "2017-03-15" || got.TownshipCode != townA ||
		!got.HasFlag(store.FlagLeftBehind) || len(got.Guardians) != 1 {
		t.Errorf("GET shows %+v", got)
	}
	var page store.Page
	e.api("GET", "/api/v1/students?school="+schoolA, tok, nil).want(t, http.StatusOK, "list").json(t, &page)
	if page.Total != 1 || len(page.Items) != 1 {
		t.Fatalf("list: %+v", page)
	}
	if id := page.Items[0].IDNumber; id != store.MaskID(got.IDNumber) {
		t.Errorf("list shows id_number %q, want masked %q", id, store.MaskID(got.IDNumber))
	}

	// The command's result can be looked up; unknown ids are 404.
	cr := e.api("GET", "/api/v1/commands/"+out.Command.ID, tok, nil).want(t, http.StatusOK, "command").obj(t)
	if cr["state"] != "applied" || cr["id"] != out.Command.ID {
		t.Errorf("command: %v", cr)
	}
	e.api("GET", "/api/v1/commands/NOPE", tok, nil).want(t, http.StatusNotFound, "unknown command")

	// A viewer sees the record with the ID number masked.
	vt := e.login("viewer", "password-1")
	var seen store.Student
	e.api("GET", "/api/v1/students/"+out.Student.ID, vt, nil).want(t, http.StatusOK, "viewer get").json(t, &seen)
	if seen.IDNumber != store.MaskID(got.IDNumber) {
		t.Errorf("viewer sees id_number %q, want masked", seen.IDNumber)
	}
}

func TestResubmitSameCommandID(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	body := child("黄小红", 24)
	body["command_id"] = "01J9ZZZCLIENTCMD0000000001"
	var first, second struct{ Student store.Student }
	e.api("POST", "/api/v1/students", tok, body).want(t, http.StatusCreated, "first").json(t, &first)
	before := e.total(tok)
	e.api("POST", "/api/v1/students", tok, body).want(t, http.StatusCreated, "resubmit").json(t, &second)
	if first.Student.ID != second.Student.ID {
		t.Errorf("resubmit made %s, first was %s", second.Student.ID, first.Student.ID)
	}
	if after := e.total(tok); after != before || after != 1 {
		t.Errorf("total %d after resubmit, want %d", after, before)
	}
	// A different command for the same child is refused as a duplicate,
	// pointing at the existing record.
	delete(body, "command_id")
	r := e.api("POST", "/api/v1/students", tok, body).want(t, http.StatusConflict, "same child again")
	m := r.obj(t)
	if m["code"] != "duplicate" || m["existing_id"] != first.Student.ID || m["field"] != "id_number" {
		t.Errorf("duplicate answered %s", r.body)
	}
	if cmd, _ := m["command"].(map[string]any); cmd["state"] != "rejected" || cmd["reason"] == "" || cmd["id"] == "" {
		t.Errorf("duplicate's command: %v", m["command"])
	}
}

// TestInvalidInputWritesNothing: every bad request is a 400 naming the
// field, and nothing reaches the register.
func TestInvalidInputWritesNothing(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	with := func(k string, v any) map[string]any {
		b := child("蓝小军", 35)
		b[k] = v
		return b
	}
	tests := []struct {
		name  string
		body  any
		field string
		msg   string
	}{
		{"bad JSON", `{"name": "x",`, "", "invalid JSON"},
		{"not an object", `[1,2]`, "", "the body must be a JSON object"},
		{"trailing data", `{"name":"x"} {}`, "", "invalid JSON"},
		{"unknown field", with("nickname", "小军"), "nickname", ""},
		{"wrong type", with("grade", "three"), "grade", ""},
		{"wrong check digit", with("id_number", wrongCheckDigit(idNumber("20170315", 35))), "id_number", ""},
		{"short ID number", with("id_number", "45020620170315"), "id_number", ""},
		{"unknown school", with("school_code", "NO-SUCH-SCHOOL"), "school_code", ""},
		{"unknown village", with("village_code", "NO-SUCH-VILLAGE"), "village_code", ""},
		{"grade outside school", with("grade", 8), "grade", ""},
		{"gender against ID", with("gender", "F"), "gender", ""},
		{"unknown flag", with("flags", []string{"rich"}), "flags", ""},
		{"status not for a new child", with("status", "dropped_out"), "status", ""},
		{"bad command id", with("command_id", "no spaces allowed"), "command_id", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, applied := e.total(tok), e.db.AppliedIndex()
			r := e.api("POST", "/api/v1/students", tok, tt.body)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", r.status, r.body)
			}
			m := r.obj(t)
			if got, _ := m["field"].(string); got != tt.field {
				t.Errorf("field %q, want %q (body %s)", got, tt.field, r.body)
			}
			if msg, _ := m["error"].(string); msg == "" || (tt.msg != "" && msg != tt.msg) {
				t.Errorf("error %q, want %q", msg, tt.msg)
			}
			if after := e.total(tok); after != before {
				t.Errorf("total %d, was %d", after, before)
			}
			if got := e.db.AppliedIndex(); got != applied {
				t.Errorf("applied index %d, was %d: something was submitted", got, applied)
			}
		})
	}
}

func TestPatchStudent(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	id := e.createChild(tok, child("莫小兰", 42))
	get := func() store.Student {
		var s store.Student
		e.api("GET", "/api/v1/students/"+id, tok, nil).want(t, http.StatusOK, "get").json(t, &s)
		return s
	}

	r := e.api("PATCH", "/api/v1/students/"+id, tok, map[string]any{"version": 1, "class": 3, "details": map[string]string{"parents_phone": "13700000000"}})
	r.want(t, http.StatusOK, "patch v1")
	s := get()
	if s.Version != 2 || s.Class != 3 || s.Details.ParentsPhone != "13700000000" || s.Details.ParentsWorkplace != "广东东莞" || s.Name != "莫小兰" {
		t.Fatalf("after patch: %+v", s)
	}

	tests := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"stale version", map[string]any{"version": 1, "name": "莫大兰"}, http.StatusConflict, "version"},
		{"no version", map[string]any{"name": "莫大兰"}, http.StatusBadRequest, "version"},
		{"status by patch", map[string]any{"version": 2, "status": "dropped_out"}, http.StatusBadRequest, "status"},
		{"bad ID number", map[string]any{"version": 2, "id_number": wrongCheckDigit(s.IDNumber)}, http.StatusBadRequest, "id_number"},
		{"unknown field", map[string]any{"version": 2, "birth_date": "2010-01-01"}, http.StatusBadRequest, "birth_date"},
		{"bad JSON", `{"version": 2`, http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.api("PATCH", "/api/v1/students/"+id, tok, tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			m := r.obj(t)
			if f, _ := m["field"].(string); f != tt.field {
				t.Errorf("field %q, want %q", f, tt.field)
			}
			if tt.status == http.StatusConflict && m["code"] != "conflict" {
				t.Errorf("code %v, want conflict", m["code"])
			}
			if got := get(); got.Version != 2 || got.Name != "莫小兰" || got.Status != "enrolled" {
				t.Errorf("record changed: %+v", got)
			}
		})
	}
	// Unchanged status in a PATCH is allowed (a client sending the record back).
	e.api("PATCH", "/api/v1/students/"+id, tok, map[string]any{"version": 2, "status": "enrolled", "household": "3组12号"}).
		want(t, http.StatusOK, "patch with same status")
	e.api("PATCH", "/api/v1/students/S999", tok, map[string]any{"version": 1, "name": "x"}).want(t, http.StatusNotFound, "unknown child")
}

func TestStatusChange(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	id := e.createChild(tok, child("覃小强", 51))
	path := "/api/v1/students/" + id + "/status"

	r := e.api("POST", path, tok, map[string]string{"status": "transferred_out", "date": "2026-08-30"})
	if r.status != http.StatusBadRequest {
		t.Fatalf("transfer out without destination: status %d, want 400: %s", r.status, r.body)
	}
	if f := r.obj(t)["field"]; f != "destination" {
		t.Errorf("refusal names %v, want destination: %s", f, r.body)
	}
	e.api("POST", path, tok, map[string]string{"status": "suspended", "date": "2026-08-30"}).want(t, http.StatusBadRequest, "suspension without reason")
	e.api("POST", path, tok, map[string]string{"status": "moved", "date": "2026-08-30"}).want(t, http.StatusBadRequest, "unknown status")
	e.api("POST", path, tok, map[string]string{"status": "dropped_out", "date": "30/08/2026"}).want(t, http.StatusBadRequest, "bad date")

	var s store.Student
	e.api("GET", "/api/v1/students/"+id, tok, nil).json(t, &s)
	if s.Status != "enrolled" || s.Version != 1 {
		t.Fatalf("refused changes changed the record: %+v", s)
	}

	r = e.api("POST", path, tok, map[string]string{"status": "transferred_out", "date": "2026-08-30", "destination": "柳州市第二中学（柳州市城中区）", "reason": "随父母迁居"})
	r.want(t, http.StatusOK, "transfer out")
	var out struct {
		Student store.Student
		Command struct{ State string }
	}
	r.json(t, &out)
	if out.Student.Status != "transferred_out" || out.Command.State != "applied" {
		t.Errorf("transfer out answered %s", r.body)
	}
	var hist struct{ Items []store.StatusChange }
	e.api("GET", path[:len(path)-len("/status")]+"/history", tok, nil).want(t, http.StatusOK, "history").json(t, &hist)
	if len(hist.Items) != 1 || hist.Items[0].From != "enrolled" || hist.Items[0].To != "transferred_out" || hist.Items[0].By != "officer" {
		t.Errorf("history: %+v", hist.Items)
	}
	var audit struct{ Items []store.AuditEntry }
	e.api("GET", "/api/v1/students/"+id+"/audit", tok, nil).want(t, http.StatusOK, "audit").json(t, &audit)
	if len(audit.Items) != 2 || audit.Items[1].Kind != store.KindStudentStatus || audit.Items[1].Actor.Node != "node-a" {
		t.Errorf("audit: %+v", audit.Items)
	}
}

func TestScopeAndRoles(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	officer := e.login("officer", "password-1")
	inA := e.createChild(officer, child("在A校", 61))
	b := child("在B校", 62)
	b["village_code"], b["group_code"], b["school_code"], b["grade"] = villB, "", schoolB, 8
	b["id_number"] = idNumber("20130315", 62) // of the age of grade 8
	inB := e.createChild(officer, b)

	teacher := e.login("teacher", "password-1")
	var page store.Page
	e.api("GET", "/api/v1/students", teacher, nil).want(t, http.StatusOK, "teacher list").json(t, &page)
	if page.Total != 1 || len(page.Items) != 1 || page.Items[0].ID != inA {
		t.Errorf("teacher of school A lists %+v", page)
	}
	e.api("GET", "/api/v1/students?q="+b["id_number"].(string), teacher, nil).want(t, http.StatusOK, "search").json(t, &page)
	if page.Total != 0 {
		t.Errorf("teacher finds school B's child by ID number: %+v", page)
	}
	e.api("GET", "/api/v1/students/"+inB, teacher, nil).want(t, http.StatusNotFound, "teacher GET other school")
	e.api("GET", "/api/v1/students/"+inB+"/history", teacher, nil).want(t, http.StatusNotFound, "teacher history other school")
	e.api("GET", "/api/v1/students/"+inB+"/audit", teacher, nil).want(t, http.StatusNotFound, "teacher audit other school")
	e.api("GET", "/api/v1/students/"+inA, teacher, nil).want(t, http.StatusOK, "teacher GET own school")

	viewer := e.login("viewer", "password-1")
	before := e.db.AppliedIndex()
	e.api("POST", "/api/v1/students", viewer, child("只读写", 71)).want(t, http.StatusForbidden, "viewer create")
	e.api("PATCH", "/api/v1/students/"+inA, viewer, map[string]any{"version": 1, "name": "改"}).want(t, http.StatusForbidden, "viewer patch")
	e.api("POST", "/api/v1/students/"+inA+"/status", viewer, map[string]string{"status": "dropped_out", "date": "2026-08-30"}).
		want(t, http.StatusForbidden, "viewer status")
	e.api("POST", "/api/v1/townships", officer, map[string]string{"code": "X1", "name": "X"}).want(t, http.StatusForbidden, "officer org")
	e.api("POST", "/api/v1/users", officer, map[string]string{"username": "x"}).want(t, http.StatusForbidden, "officer users")
	e.api("GET", "/api/v1/users", officer, nil).want(t, http.StatusForbidden, "officer lists users")
	if got := e.db.AppliedIndex(); got != before {
		t.Errorf("forbidden requests moved the applied index from %d to %d", before, got)
	}
	e.api("GET", "/api/v1/townships", viewer, nil).want(t, http.StatusOK, "viewer reads townships")
	e.api("GET", "/api/v1/students", viewer, nil).want(t, http.StatusOK, "viewer reads students")

	// Users never show password hashes.
	r := e.api("GET", "/api/v1/users", admin, nil).want(t, http.StatusOK, "admin lists users")
	if strings.Contains(string(r.body), "password") || strings.Contains(string(r.body), "pbkdf2") {
		t.Errorf("user list shows password data: %s", r.body)
	}
}

func TestListParameters(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	for i := 0; i < 5; i++ {
		e.createChild(tok, child("学生", 100+i))
	}
	for _, tt := range []struct{ query, field string }{
		{"grade=three", "grade"}, {"grade=10", "grade"}, {"limit=0", "limit"}, {"limit=501", "limit"},
		{"status=lost", "status"}, {"flag=rich", "flag"}, {"class=x", "class"}, {"cursor=zzz", "cursor"},
		{"cursor=S4294967296", "cursor"}, {"cursor=S18446744073709551616", "cursor"},
	} {
		r := e.api("GET", "/api/v1/students?"+tt.query, tok, nil)
		if r.status != http.StatusBadRequest || r.obj(t)["field"] != tt.field {
			t.Errorf("?%s: %d %s, want 400 naming %s", tt.query, r.status, r.body, tt.field)
		}
	}
	// Paging: two pages of 3 and 2, all distinct.
	var p1, p2 store.Page
	e.api("GET", "/api/v1/students?limit=3", tok, nil).want(t, http.StatusOK, "page 1").json(t, &p1)
	if p1.Total != 5 || len(p1.Items) != 3 || p1.NextCursor == "" {
		t.Fatalf("page 1: total %d, %d items, cursor %q", p1.Total, len(p1.Items), p1.NextCursor)
	}
	e.api("GET", "/api/v1/students?limit=3&cursor="+p1.NextCursor, tok, nil).want(t, http.StatusOK, "page 2").json(t, &p2)
	if len(p2.Items) != 2 || p2.NextCursor != "" || p2.Items[0].ID == p1.Items[2].ID {
		t.Errorf("page 2: %+v", p2)
	}
	var f store.Page
	e.api("GET", "/api/v1/students?flag=left_behind&grade=3&status=enrolled&township="+townA, tok, nil).json(t, &f)
	if f.Total != 5 {
		t.Errorf("filtered total %d, want 5", f.Total)
	}
}

func TestOrgAndUsersAPI(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	r := e.api("POST", "/api/v1/townships", admin, map[string]string{"code": townA, "name": "again"}).want(t, http.StatusConflict, "duplicate township")
	if m := r.obj(t); m["code"] != "duplicate" || m["existing_id"] != townA {
		t.Errorf("duplicate township: %s", r.body)
	}
	e.api("POST", "/api/v1/schools", admin, map[string]string{"code": "S9", "name": "x", "type": "college", "township_code": townA}).
		want(t, http.StatusBadRequest, "bad school type")
	e.api("POST", "/api/v1/villages", admin, map[string]string{"code": "V9", "name": "x", "township_code": townA, "kind": "city"}).
		want(t, http.StatusBadRequest, "bad village kind")
	var v store.Village
	e.api("POST", "/api/v1/villages", admin, map[string]string{"code": "V9", "name": "新村", "township_code": townB}).
		want(t, http.StatusCreated, "village").json(t, &v)
	if v != (store.Village{Code: "V9", Name: "新村", TownshipCode: townB, Kind: "village"}) {
		t.Errorf("village answered %+v", v)
	}
	var list struct{ Items []store.School }
	e.api("GET", "/api/v1/schools", admin, nil).want(t, http.StatusOK, "schools").json(t, &list)
	if len(list.Items) != 2 {
		t.Errorf("schools: %+v", list.Items)
	}

	for _, tt := range []struct {
		name  string
		body  map[string]string
		field string
	}{
		{"short password", map[string]string{"username": "u1", "password": "short", "role": "viewer", "line": "education", "scope": "district"}, "password"},
		{"bad role", map[string]string{"username": "u1", "password": "long-enough", "role": "king", "line": "education", "scope": "district"}, "role"},
		{"bad scope", map[string]string{"username": "u1", "password": "long-enough", "role": "viewer", "line": "education", "scope": "planet:earth"}, "scope"},
		{"admin not district", map[string]string{"username": "u1", "password": "long-enough", "role": "admin", "line": "education", "scope": "township:" + townA}, "scope"},
	} {
		r := e.api("POST", "/api/v1/users", admin, tt.body)
		if r.status != http.StatusBadRequest || r.obj(t)["field"] != tt.field {
			t.Errorf("%s: %d %s, want 400 naming %s", tt.name, r.status, r.body, tt.field)
		}
	}
	r = e.api("POST", "/api/v1/users", admin, map[string]string{"username": "cls", "password": "class-pass-1", "display_name": "班主任",
		"role": "teacher", "line": "education", "scope": "class:" + schoolA + "/3/2"}).want(t, http.StatusCreated, "class user")
	if strings.Contains(string(r.body), "password") {
		t.Errorf("created user shows password data: %s", r.body)
	}
	var u store.User
	r.json(t, &u)
	if u.Scope != (store.Scope{Kind: "class", Code: schoolA, Grade: 3, Class: 2}) {
		t.Errorf("user scope %+v", u.Scope)
	}
	e.login("cls", "class-pass-1")
}

func TestUnavailable(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	e.rep.setUnavailable(true)
	r := e.api("POST", "/api/v1/students", tok, child("等待", 81)).want(t, http.StatusServiceUnavailable, "no leader")
	if msg, _ := r.obj(t)["error"].(string); !strings.Contains(msg, "cannot take changes") {
		t.Errorf("503 says %q", msg)
	}
	e.rep.setUnavailable(false)
	if e.total(tok) != 0 {
		t.Error("a child was written while unavailable")
	}

	// Any other failure is a 500 with a plain apology; the details go to the
	// log only.
	e.rep.mu.Lock()
	e.rep.failWith = errors.New("disk on fire at sector 7")
	e.rep.mu.Unlock()
	r = e.api("POST", "/api/v1/students", tok, child("失败", 83)).want(t, http.StatusInternalServerError, "internal error")
	if strings.Contains(string(r.body), "sector 7") || r.obj(t)["request_id"] == "" {
		t.Errorf("500 answered %s", r.body)
	}
	if !strings.Contains(e.log.String(), "sector 7") {
		t.Error("the internal error is not logged")
	}
	b := e.browser()
	b.login("officer", "password-1")
	page := b.get("/students/new")
	form := url.Values{csrfField: {csrfFrom(t, page)}, "name": {"失败"}, "gender": {"M"}, "id_number": {idNumber("20170315", 85)},
		"ethnicity": {"汉族"}, "village_code": {villA}, "school_code": {schoolA}, "grade": {"1"}, "class": {"1"}}
	r = b.post("/students/new", form).want(t, http.StatusInternalServerError, "internal error page")
	if strings.Contains(string(r.body), "sector 7") || !strings.Contains(string(r.body), "抱歉") {
		t.Errorf("500 page:\n%s", r.body)
	}
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
	e.api("POST", "/api/v1/students", tok, big).want(t, http.StatusRequestEntityTooLarge, "2 MiB body")
}

// TestLogsHoldNoSecrets: request logs carry paths without queries, never ID
// numbers, passwords or tokens.
func TestLogsHoldNoSecrets(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	body := child("日志", 91)
	e.createChild(tok, body)
	id := body["id_number"].(string)
	e.api("GET", "/api/v1/students?q="+id, tok, nil).want(t, http.StatusOK, "search by ID number")
	bad := child("日志二", 93)
	bad["id_number"] = wrongCheckDigit(bad["id_number"].(string))
	e.api("POST", "/api/v1/students", tok, bad).want(t, http.StatusBadRequest, "bad id")
	logs := e.log.String()
	if !strings.Contains(logs, "/api/v1/students") {
		t.Fatalf("requests not logged:\n%s", logs)
	}
	for what, secret := range map[string]string{"ID number": id, "bad ID number": bad["id_number"].(string),
		"password": "password-1", "admin password": adminPassword, "token": tok} {
		if strings.Contains(logs, secret) {
			t.Errorf("log holds the %s", what)
		}
	}
}

func TestCommandResultIsTheAuthors(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	officer := e.login("officer", "password-1")
	body := child("韦小明", 91)
	body["command_id"] = "officer-cmd-1"
	e.api("POST", "/api/v1/students", officer, body).want(t, http.StatusCreated, "create")
	e.api("GET", "/api/v1/commands/officer-cmd-1", officer, nil).want(t, http.StatusOK, "author reads the result")
	viewer := e.login("viewer", "password-1")
	e.api("GET", "/api/v1/commands/officer-cmd-1", viewer, nil).want(t, http.StatusNotFound, "another user reads the result")
	teacher := e.login("teacher", "password-1")
	body["name"] = "另一个"
	r := e.api("POST", "/api/v1/students", teacher, body)
	r.want(t, http.StatusBadRequest, "another user reuses the command id")
	if f := r.obj(t)["field"]; f != "command_id" {
		t.Errorf("reuse refused on %v, want command_id", f)
	}
}

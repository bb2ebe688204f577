package ui

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"baoxue/store"
)

// TestBindForm: a form fills a request built on a store payload by the
// payload's JSON names; a number that is not one is a 400 naming the field,
// and the rest of the form is still read so that it can be shown again.
func TestBindForm(t *testing.T) {
	form := url.Values{
		"name": {"韦小明"}, "gender": {"M"}, "grade": {"三"}, "class": {"2"}, "flags": {"left_behind", "migrant"},
		"parents_phone": {"13800000000"}, "guardian_name_1": {"韦大"}, "guardian_relation_1": {"父亲"},
		"command_id": {"cmd-1"}, "version": {"x7"},
	}
	var in studentForm
	err := bindForm(form, &in, nil)
	fe := asFieldError(err)
	if fe == nil || fe.Field != "grade" || fe.Code != "number" {
		t.Fatalf("grade 三: error %v, want a field error on grade", err)
	}
	want := store.StudentFields{Name: "韦小明", Gender: "M", Class: 2, Flags: []string{"left_behind", "migrant"},
		Details:   store.FlagDetails{ParentsPhone: "13800000000"},
		Guardians: []store.Guardian{{Name: "韦大", Relation: "父亲"}}}
	if diff := cmp.Diff(want, in.StudentFields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if in.CommandID != "cmd-1" || in.Version != 0 {
		t.Errorf("command id %q, version %d; want cmd-1, 0 (a version that is no number is none)", in.CommandID, in.Version)
	}

	form.Set("grade", "10")
	if fe := asFieldError(bindForm(form, &in, nil)); fe == nil || fe.Field != "grade" || fe.Code != "range" {
		t.Errorf("grade 10: error %v, want out of range", fe)
	}

	var v visitRequest
	err = bindForm(url.Values{"visitors": {"韦干事、覃老师， 黄村长"}, "case_id": {"C9"}, "date": {"2026-09-01"}}, &v, []string{"case_id"})
	if err != nil || !cmp.Equal(v.Visitors, []string{"韦干事", "覃老师", "黄村长"}) || v.CaseID != "" || v.Date != "2026-09-01" {
		t.Errorf("visit form: %+v, %v; want three visitors, the date, and no case from the form", v, err)
	}
}

// TestBindRefusesURLFields: the case or child a write is on is the URL's; a
// JSON body that names it is refused as an unknown field, and nothing is
// written.
func TestBindRefusesURLFields(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	officer := e.login("officer", "password-1")
	id := e.createChild(officer, child("韦小明", 11))
	for _, name := range []string{"student_id", "Student_ID"} { // encoding/json matches names in any case
		body := map[string]any{name: "S999", "date": "2026-08-28", "reason": "work"}
		r := e.api("POST", "/api/v1/students/"+id+"/dropout", officer, body).want(t, http.StatusBadRequest, "dropout naming the child in the body")
		if got := r.obj(t); got["field"] != name {
			t.Errorf("%s in the body: error %v, want the field named", name, got)
		}
	}
	r := e.api("GET", "/api/v1/students/"+id+"/cases", officer, nil).want(t, http.StatusOK, "cases")
	var out itemsJSON[store.Case]
	r.json(t, &out)
	if len(out.Items) != 0 {
		t.Errorf("a refused report opened %d cases", len(out.Items))
	}
}

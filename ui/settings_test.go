package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"baoxue/store"
)

// settingsForm returns the fields of the case settings form on page r,
// with values put over them.
func settingsForm(t *testing.T, r response, values map[string]string) url.Values {
	t.Helper()
	form := find(parseHTML(t, r), byID("case-settings-form"))
	if form == nil {
		t.Fatalf("no case settings form in page:\n%s", r.body)
	}
	v := url.Values{}
	for _, in := range findAll(form, func(n *html.Node) bool { return n.Data == "input" }) {
		v.Set(attr(in, "name"), attr(in, "value"))
	}
	for k, x := range values {
		v.Set(k, x)
	}
	return v
}

// caseSettings reads the settings through the API.
// caseSettings returns the three settings as GET /api/v1/settings/cases
// answers them (without the version and who changed them).
func (e *env) caseSettings(token string) store.CaseSettings {
	e.t.Helper()
	var set store.CaseSettings
	e.api("GET", "/api/v1/settings/cases", token, nil).want(e.t, http.StatusOK, "GET settings").json(e.t, &set)
	return store.CaseSettings{FailedVisits: set.FailedVisits, WatchDays: set.WatchDays, VisitInterval: set.VisitInterval}
}

// settingsBrowser logs a browser in as user and opens the settings page.
func settingsBrowser(t *testing.T, e *env, user, password string) (*browser, response) {
	t.Helper()
	b := e.browser()
	b.login(user, password)
	return b, b.get("/settings/cases").want(t, http.StatusOK, "settings page of "+user)
}

func TestCaseSettingsPageShowsTheSettingsInChinese(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	e.api("PUT", "/api/v1/settings/cases", admin, map[string]int{"failed_visits": 4, "watch_days": 200, "visit_interval": 10}).
		want(t, http.StatusOK, "PUT settings")
	_, r := settingsBrowser(t, e, "admin", adminPassword)
	doc := parseHTML(t, r)
	if h := find(doc, func(n *html.Node) bool { return n.Data == "h1" }); h == nil || text(h) != "案件设置" {
		t.Errorf("h1 %v", h)
	}
	for _, tt := range []struct{ field, value, help, input string }{
		{"failed_visits", "4 次", "家访（劝返）失败几次后可启动法律程序（法不缺位）", "4"},
		{"visit_interval", "10 天", "劝返到期", "10"},
		{"watch_days", "200 天", "跟踪观察名单", "200"},
	} {
		if n := find(doc, byID("value-"+tt.field)); n == nil || text(n) != tt.value {
			t.Errorf("%s shown as %v, want %q", tt.field, n, tt.value)
		}
		row := find(doc, byID("setting-"+tt.field))
		if row == nil || !strings.Contains(text(row), tt.help) || !strings.Contains(text(row), translate(langZH, "field."+tt.field)) {
			t.Errorf("%s: the row does not explain it (%q)", tt.field, tt.help)
		}
		if in := find(doc, byID("s-"+tt.field)); in == nil || attr(in, "value") != tt.input {
			t.Errorf("%s: the form's field %v, want %q", tt.field, in, tt.input)
		}
	}
	if n := find(doc, byID("value-failed_visits")); n != nil {
		// The default is shown beside the value.
		if cells := findAll(n.Parent, func(n *html.Node) bool { return n.Data == "td" }); len(cells) < 3 || text(cells[2]) != "3 次" {
			t.Errorf("default of failed_visits not shown as 3 次")
		}
	}
	if a := find(doc, byID("nav-case-settings")); a == nil || attr(a, "href") != "/settings/cases" || attr(a, "class") != "active" {
		t.Errorf("menu link %v", a)
	}
	// English is available too.
	b := e.browser()
	b.login("admin", adminPassword)
	en := parseHTML(t, b.get("/settings/cases?lang=en").want(t, http.StatusOK, "english page"))
	if n := find(en, byID("value-failed_visits")); n == nil || text(n) != "4 failed visits" {
		t.Errorf("English value %v", n)
	}
}

func TestCaseSettingsAdminChangesThem(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	b, page := settingsBrowser(t, e, "admin", adminPassword)
	before := e.rep.submitted
	form := settingsForm(t, page, map[string]string{"failed_visits": "5", "watch_days": " 90 ", "visit_interval": "１４"})
	r := b.post("/settings/cases", form).want(t, http.StatusSeeOther, "settings form")
	if loc := r.header.Get("Location"); loc != "/settings/cases" {
		t.Errorf("redirect to %q", loc)
	}
	want := store.CaseSettings{FailedVisits: 5, WatchDays: 90, VisitInterval: 14}
	if got := e.caseSettings(admin); got != want {
		t.Errorf("settings after the form: %+v, want %+v", got, want)
	}
	doc := parseHTML(t, b.get("/settings/cases").want(t, http.StatusOK, "page after"))
	if f := find(doc, func(n *html.Node) bool { return attr(n, "class") == "flash" }); f == nil || text(f) != "案件设置已保存。" {
		t.Errorf("flash %v", f)
	}
	if n := find(doc, byID("value-failed_visits")); n == nil || text(n) != "5 次" {
		t.Errorf("value after %v", n)
	}
	if n := find(doc, byID("settings-updated")); n == nil || !strings.Contains(text(n), "最近一次由 admin 于 ") {
		t.Errorf("who changed them last: %v", n)
	}
	// The same form sent again is the same command: nothing more happens.
	b.post("/settings/cases", form).want(t, http.StatusSeeOther, "form sent twice")
	if n := e.rep.submitted - before; n != 1 {
		t.Errorf("%d commands submitted, want 1", n)
	}
	// The change is attributed (R21): the command's result names the admin.
	res, ok, err := e.db.Result(form.Get("command_id"))
	if err != nil || !ok || res.User != "admin" || !res.Applied() {
		t.Errorf("result of the form's command: %+v, %v, %v", res, ok, err)
	}
}

func TestCaseSettingsRefusedToOthers(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	want := e.caseSettings(admin)
	_, adminPage := settingsBrowser(t, e, "admin", adminPassword)
	before := e.rep.submitted
	for _, user := range []string{"officer", "teacher", "viewer"} {
		b := e.browser()
		b.login(user, "password-1")
		students := b.get("/students").want(t, http.StatusOK, "students of "+user)
		if find(parseHTML(t, students), byID("nav-case-settings")) != nil {
			t.Errorf("%s sees the menu link", user)
		}
		r := b.get("/settings/cases").want(t, http.StatusForbidden, "page for "+user)
		if msg := find(parseHTML(t, r), byID("error-message")); msg == nil || text(msg) != "您没有权限访问此页面。" {
			t.Errorf("%s: %v", user, msg)
		}
		form := settingsForm(t, adminPage, map[string]string{"failed_visits": "9", csrfField: csrfFrom(t, students)})
		b.post("/settings/cases", form).want(t, http.StatusForbidden, "form from "+user)
	}
	if e.rep.submitted != before {
		t.Errorf("%d commands submitted", e.rep.submitted-before)
	}
	if got := e.caseSettings(admin); got != want {
		t.Errorf("settings %+v, want unchanged %+v", got, want)
	}
}

func TestCaseSettingsBadInput(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	want := e.caseSettings(admin)
	b, page := settingsBrowser(t, e, "admin", adminPassword)
	before := e.rep.submitted
	for _, tt := range []struct {
		name   string
		values map[string]string
		errs   map[string]string // field → message; fields not named show none
	}{
		{"not a number", map[string]string{"failed_visits": "三"}, map[string]string{"failed_visits": "请填写数字。"}},
		{"a fraction", map[string]string{"visit_interval": "7.5"}, map[string]string{"visit_interval": "请填写数字。"}},
		{"empty", map[string]string{"watch_days": " "}, map[string]string{"watch_days": "此项必填，请填写后再提交。"}},
		{"zero", map[string]string{"failed_visits": "0"}, map[string]string{"failed_visits": "须为 1 至 20 之间的整数。"}},
		{"too many", map[string]string{"failed_visits": "21"}, map[string]string{"failed_visits": "须为 1 至 20 之间的整数。"}},
		{"huge", map[string]string{"watch_days": "99999999999999999999999"}, map[string]string{"watch_days": "须为 1 至 1000 之间的整数。"}},
		{"all at once", map[string]string{"failed_visits": "-1", "watch_days": "", "visit_interval": "91"},
			map[string]string{"failed_visits": "须为 1 至 20 之间的整数。", "watch_days": "此项必填，请填写后再提交。", "visit_interval": "须为 1 至 90 之间的整数。"}},
	} {
		form := settingsForm(t, page, tt.values)
		r := b.post("/settings/cases", form).want(t, http.StatusBadRequest, tt.name)
		doc := parseHTML(t, r)
		for _, f := range caseSettingFields {
			if got := fieldError(doc, f.Name); got != tt.errs[f.Name] {
				t.Errorf("%s: %s shows %q, want %q", tt.name, f.Name, got, tt.errs[f.Name])
			}
			// What was typed is kept.
			if in := find(doc, byID("s-"+f.Name)); in == nil || attr(in, "value") != form.Get(f.Name) {
				t.Errorf("%s: %s refilled with %v, want %q", tt.name, f.Name, in, form.Get(f.Name))
			}
		}
		if got := find(doc, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "command_id" }); got == nil || attr(got, "value") != form.Get("command_id") {
			t.Errorf("%s: the command id is not kept", tt.name)
		}
	}
	if e.rep.submitted != before {
		t.Errorf("%d commands submitted", e.rep.submitted-before)
	}
	if got := e.caseSettings(admin); got != want {
		t.Errorf("settings %+v, want unchanged %+v", got, want)
	}
}

func TestCaseSettingsStaleEditIsAConflict(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	b, page := settingsBrowser(t, e, "admin", adminPassword) // sees 3, 180, 7
	e.api("PUT", "/api/v1/settings/cases", admin, map[string]int{"failed_visits": 4, "watch_days": 180, "visit_interval": 7}).
		want(t, http.StatusOK, "another admin's change")
	r := b.post("/settings/cases", settingsForm(t, page, map[string]string{"visit_interval": "14"})).
		want(t, http.StatusConflict, "stale form")
	doc := parseHTML(t, r)
	if msg := find(doc, byID("form-error")); msg == nil || !strings.Contains(text(msg), "其他管理员已修改了案件设置") {
		t.Errorf("stale form: %v", msg)
	}
	if n := find(doc, byID("value-failed_visits")); n == nil || text(n) != "4 次" {
		t.Errorf("the page does not show the settings now: %v", n)
	}
	if got := e.caseSettings(admin); got.FailedVisits != 4 || got.VisitInterval != 7 {
		t.Errorf("settings %+v after a stale form", got)
	}
	// The form is made again from the settings now: sent as it was, it
	// cannot undo the other administrator's change.
	if in := find(doc, byID("s-failed_visits")); in == nil || attr(in, "value") != "4" {
		t.Errorf("failed_visits refilled with %v, want the value now", in)
	}
	// This user's change, entered again on that form, goes through.
	b.post("/settings/cases", settingsForm(t, r, map[string]string{"visit_interval": "14"})).want(t, http.StatusSeeOther, "form sent again")
	if got := e.caseSettings(admin); got != (store.CaseSettings{FailedVisits: 4, WatchDays: 180, VisitInterval: 14}) {
		t.Errorf("settings %+v", got)
	}
}

// pendingReplica queues every command, as a township node cut off from
// the leader does.
type pendingReplica struct{ *testReplica }

func (p pendingReplica) Submit(_ context.Context, cmd store.Command) (store.Result, error) {
	return store.Result{CommandID: cmd.ID, State: store.StatePending}, nil
}

func TestCaseSettingsPending(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	want := e.caseSettings(admin)
	b, page := settingsBrowser(t, e, "admin", adminPassword)
	e.srv.rep = pendingReplica{e.rep}
	r := b.post("/settings/cases", settingsForm(t, page, map[string]string{"failed_visits": "6"})).want(t, http.StatusSeeOther, "pending form")
	if loc := r.header.Get("Location"); loc != "/settings/cases" {
		t.Errorf("redirect to %q", loc)
	}
	doc := parseHTML(t, b.get("/settings/cases").want(t, http.StatusOK, "page after"))
	if f := find(doc, func(n *html.Node) bool { return attr(n, "class") == "flash" }); f == nil || text(f) != translate(langZH, "flash.pending") {
		t.Errorf("flash %v", f)
	}
	if got := e.caseSettings(admin); got != want {
		t.Errorf("settings %+v before the command is applied", got)
	}
}

// TestCaseSettingFieldsMatchStore: the page has every field of
// store.CaseSettings, with the range store.CheckCaseSettings accepts and
// words in the catalogue.
func TestCaseSettingFieldsMatchStore(t *testing.T) {
	raw, err := json.Marshal(store.DefaultCaseSettings())
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range caseSettingFields {
		names = append(names, f.Name)
		for _, k := range []string{"field.", "settings.help.", "settings.unit."} {
			if !hasMessage(k + f.Name) {
				t.Errorf("no message %s%s", k, f.Name)
			}
		}
		check := func(v int) error {
			set := store.DefaultCaseSettings()
			*f.value(&set) = v
			return store.CheckCaseSettings(&set)
		}
		for _, v := range []int{f.Min, f.Max} {
			if err := check(v); err != nil {
				t.Errorf("%s = %d refused by the store: %v", f.Name, v, err)
			}
		}
		for _, v := range []int{f.Min - 1, f.Max + 1} {
			if fe := asFieldError(check(v)); fe == nil || fe.Field != f.Name {
				t.Errorf("%s = %d: the store says %v", f.Name, v, fe)
			}
		}
	}
	for k := range fields {
		if !slices.Contains(names, k) && !slices.Contains([]string{"version", "updated_by", "updated_at"}, k) {
			t.Errorf("store.CaseSettings has %q, which the page does not show", k)
		}
	}
}

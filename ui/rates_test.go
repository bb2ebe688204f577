package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"baoxue/store"
)

// ratesEnv: the org of setupOrg with five children at school A (township
// A), one transferred out and one dropped out on 1 September 2026 (the
// test replica's day), and a township officer of township A and one of
// township B (password "password-1"); today is 30 November 2026.
func ratesEnv(t *testing.T) (*env, string) {
	e := newEnv(t)
	e.srv.now = func() time.Time { return time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC) }
	admin := e.setupOrg()
	for _, u := range []map[string]string{
		{"username": "town-a", "display_name": "拉堡镇干部", "role": "officer", "line": "government", "scope": "township:" + townA},
		{"username": "town-b", "display_name": "穿山镇干部", "role": "officer", "line": "government", "scope": "township:" + townB},
	} {
		u["password"] = "password-1"
		e.api("POST", "/api/v1/users", admin, u).want(t, http.StatusCreated, "user "+u["username"])
	}
	var ids []string
	for i := 1; i <= 5; i++ {
		ids = append(ids, e.createChild(admin, child("韦小"+string(rune('甲'+i)), i)))
	}
	e.api("POST", "/api/v1/students/"+ids[0]+"/status", admin, map[string]string{"status": "transferred_out", "date": "2026-09-01", "destination": "柳州市某小学"}).
		want(t, http.StatusOK, "transfer out")
	e.api("POST", "/api/v1/students/"+ids[1]+"/status", admin, map[string]string{"status": "dropped_out", "date": "2026-09-01", "reason": "厌学"}).
		want(t, http.StatusOK, "dropout")
	return e, admin
}

// TestRatesAPI: the district's rates with their terms, the list behind a
// term as long as its count, a township officer kept to the township, and
// bad queries refused with the field named.
func TestRatesAPI(t *testing.T) {
	e, admin := ratesEnv(t)
	var rep store.RatesReport
	e.api("GET", "/api/v1/rates", admin, nil).want(t, http.StatusOK, "district rates").json(t, &rep)
	if rep.Level != "district" || len(rep.Rates) != len(store.RateNames) || len(rep.Units) != 2 {
		t.Fatalf("district rates: %+v", rep)
	}
	got := map[string]store.Rate{}
	for _, r := range rep.Rates {
		got[r.Name] = r
	}
	// Three at school after the changes of 1 September, three now; one
	// dropout in the year.
	if r := got[store.RateAnnual]; r.Numerator != 3 || r.Denominator != 3 || r.Formula == "" || !*r.MeetsTarget {
		t.Errorf("annual consolidation: %+v", r)
	}
	if r := got[store.RateDropout]; r.Numerator != 1 || r.Denominator != 3 {
		t.Errorf("dropout rate: %+v", r)
	}
	var page store.LedgerPage
	e.api("GET", "/api/v1/rates/children?term=start_enrolled&limit=2", admin, nil).want(t, http.StatusOK, "children").json(t, &page)
	if page.Total != 3 || len(page.Items) != 2 || page.NextCursor == "" || page.Items[0].BirthDate != "" || page.Items[0].Age == 0 {
		t.Errorf("the children at school on 1 September: %d, %+v", page.Total, page.Items)
	}
	tokA := e.login("town-a", "password-1")
	e.api("GET", "/api/v1/rates", tokA, nil).want(t, http.StatusOK, "own township")
	e.api("GET", "/api/v1/rates?level=school&code="+schoolA, tokA, nil).want(t, http.StatusOK, "own school")
	for _, q := range []string{"level=township&code=" + townB, "level=school&code=" + schoolB, "level=district"} {
		e.api("GET", "/api/v1/rates?"+q, tokA, nil).want(t, http.StatusNotFound, "another unit: "+q)
		e.api("GET", "/api/v1/rates/children?term=school_age&"+q, tokA, nil).want(t, http.StatusNotFound, "another unit's children: "+q)
	}
	tokB := e.login("town-b", "password-1")
	var b store.RatesReport
	e.api("GET", "/api/v1/rates", tokB, nil).want(t, http.StatusOK, "township B").json(t, &b)
	if b.Code != townB {
		t.Errorf("township B's own unit: %s %s", b.Level, b.Code)
	}
	// The targets: the bureau's, versioned; bad ones refused.
	e.api("PUT", "/api/v1/settings/rates", admin, map[string]any{"consolidation": 150, "progression": 100, "version": 1}).
		want(t, http.StatusBadRequest, "a target over 100")
	e.api("PUT", "/api/v1/settings/rates", tokA, map[string]any{"consolidation": 90, "progression": 100, "version": 1}).
		want(t, http.StatusForbidden, "a township sets the targets")
	e.api("PUT", "/api/v1/settings/rates", admin, map[string]any{"consolidation": 98.5, "progression": 100, "version": 1}).
		want(t, http.StatusOK, "targets")
	e.api("PUT", "/api/v1/settings/rates", admin, map[string]any{"consolidation": 90, "progression": 100, "version": 1}).
		want(t, http.StatusConflict, "a stale version")
	e.api("GET", "/api/v1/rates", admin, nil).want(t, http.StatusOK, "rates").json(t, &rep)
	if rep.Targets.Consolidation != 98.5 || rep.Rates[0].Target != 0.985 {
		t.Errorf("the new target: %+v, %v", rep.Targets, rep.Rates[0].Target)
	}
	for _, tt := range []struct{ path, field string }{
		{"/api/v1/rates?level=county", "level"},
		{"/api/v1/rates?level=township", "code"},
		{"/api/v1/rates?year=twenty", "year"},
		{"/api/v1/rates?year=2099", "year"},
		{"/api/v1/rates/children?term=everyone", "term"},
		{"/api/v1/rates/children?term=dropouts&limit=0", "limit"},
		{"/api/v1/rates/children?term=dropouts&cursor=zz", "cursor"},
	} {
		body := e.api("GET", tt.path, admin, nil).want(t, http.StatusBadRequest, tt.path).obj(t)
		if body["field"] != tt.field || body["error"] == "" {
			t.Errorf("%s: %v, want an error on %s", tt.path, body, tt.field)
		}
	}
}

// TestDashboardTablesMatchTheAPI: the dashboard's rates table and each
// chart's table show the API's figures; the page loads ECharts from the
// binary; a township officer's dashboard is the township's.
func TestDashboardTablesMatchTheAPI(t *testing.T) {
	e, _ := ratesEnv(t)
	b := e.browser()
	b.login("admin", adminPassword)
	doc := parseHTML(t, b.get("/dashboard").want(t, http.StatusOK, "dashboard"))
	var rep store.RatesReport
	e.api("GET", "/api/v1/rates", e.login("admin", adminPassword), nil).want(t, http.StatusOK, "rates").json(t, &rep)
	chart := find(doc, byID("table-chart-rates"))
	if chart == nil {
		t.Fatal("no table of the rates chart")
	}
	rows := findAll(chart, func(n *html.Node) bool { return n.Data == "tr" })[1:]
	if len(rows) != len(rep.Rates) {
		t.Fatalf("%d rows for %d rates", len(rows), len(rep.Rates))
	}
	for i, r := range rep.Rates {
		cells := findAll(rows[i], func(n *html.Node) bool { return n.Data == "td" })
		if want := figure(percent(r.Value), "%"); text(cells[0]) != want {
			t.Errorf("%s: table %q, API %s", r.Name, text(cells[0]), want)
		}
		row := find(doc, byID("rate-"+r.Name))
		if row == nil || attr(row, "data-numerator") != itoa(r.Numerator) || attr(row, "data-denominator") != itoa(r.Denominator) {
			t.Errorf("%s: no row with %d ÷ %d", r.Name, r.Numerator, r.Denominator)
		}
	}
	for _, id := range []string{"chart-rates", "chart-units", "chart-trend", "chart-cases", "chart-ledgers", "chart-reports"} {
		fig := find(doc, byID(id))
		if fig == nil || find(fig, func(n *html.Node) bool { return attr(n, "data-chart") != "" }) == nil {
			t.Errorf("chart %s missing or without its figures", id)
		}
	}
	scripts := findAll(doc, func(n *html.Node) bool { return n.Data == "script" && strings.Contains(attr(n, "src"), "echarts") })
	if len(scripts) != 1 {
		t.Fatal("the dashboard does not load ECharts")
	}
	b.get(attr(scripts[0], "src")).want(t, http.StatusOK, "echarts.min.js")
	unit := parseHTML(t, b.get("/dashboard?unit=township:"+townB+"&year=2026").want(t, http.StatusOK, "another unit"))
	if h := text(find(unit, byID("dashboard-title"))); !strings.Contains(h, "穿山镇") {
		t.Errorf("the dashboard of township B picked from the list: %q", h)
	}
	en := parseHTML(t, b.get("/dashboard?lang=en").want(t, http.StatusOK, "dashboard in English"))
	if h := text(find(en, byID("dashboard-title"))); !strings.Contains(h, "Dashboard") || !strings.Contains(h, "The district") {
		t.Errorf("the English dashboard's title: %q", h)
	}
	tb := e.browser()
	tb.login("town-a", "password-1")
	title := text(find(parseHTML(t, tb.get("/dashboard").want(t, http.StatusOK, "township dashboard")), byID("dashboard-title")))
	if !strings.Contains(title, "拉堡镇") {
		t.Errorf("the township officer's dashboard: %q", title)
	}
	tb.get("/dashboard?level=township&code="+townB).want(t, http.StatusNotFound, "another township's dashboard")
	tb.get("/rates/children?level=township&code="+townA+"&term=school_age").want(t, http.StatusOK, "the children behind a term")
}

func itoa(n int) string { return figure(num(n), "") }

// TestInspectionsAPIAndPages: refused records and follow-ups answer 400
// or 403 with the reason and write nothing; a recorded inspection is on
// the school's to-do list until the township closes it.
func TestInspectionsAPIAndPages(t *testing.T) {
	e, admin := ratesEnv(t)
	before := e.db.AppliedIndex()
	good := map[string]any{"date": "2026-09-01", "inspectors": []string{"韦督学"}, "level": "school", "unit": schoolA,
		"findings": "台账未按月更新", "deadline": "2026-12-15"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	for _, tt := range []struct {
		body   map[string]any
		status int
		field  string
	}{
		{with("inspectors", []string{}), http.StatusBadRequest, "inspectors"},
		{with("findings", " "), http.StatusBadRequest, "findings"},
		{with("deadline", "2026-08-01"), http.StatusBadRequest, "deadline"},
		{with("level", "village"), http.StatusBadRequest, "level"},
		{with("date", "1.9.2026"), http.StatusBadRequest, "date"},
		{with("height", 3), http.StatusBadRequest, "height"},
	} {
		body := e.api("POST", "/api/v1/inspections", admin, tt.body).want(t, tt.status, "bad inspection "+tt.field).obj(t)
		if body["field"] != tt.field {
			t.Errorf("%v: %v, want an error on %s", tt.body, body, tt.field)
		}
	}
	teacher := e.login("teacher", "password-1")
	e.api("POST", "/api/v1/inspections", teacher, good).want(t, http.StatusConflict, "a school inspects itself")
	if n := e.db.AppliedIndex(); n != before+1 { // the stored refusal of the school's own record, nothing else
		t.Errorf("refused inspections wrote %d entries", n-before)
	}
	if items, _ := e.db.Inspections(store.DistrictScope, true); len(items) != 0 {
		t.Fatalf("a refused inspection was recorded: %+v", items)
	}
	var rec struct{ Inspection store.Inspection }
	e.api("POST", "/api/v1/inspections", admin, good).want(t, http.StatusCreated, "inspection").json(t, &rec)
	id := rec.Inspection.ID
	b := e.browser()
	b.login("teacher", "password-1")
	if find(parseHTML(t, b.get("/todo").want(t, http.StatusOK, "todo")), func(n *html.Node) bool { return attr(n, "href") == "/inspections/"+id }) == nil {
		t.Error("the school's to-do list does not show the rectification")
	}
	e.api("POST", "/api/v1/inspections/"+id+"/follow_ups", teacher, map[string]any{"date": "2026-09-01", "note": "已整改", "done": true}).
		want(t, http.StatusConflict, "the school closes its own")
	e.api("POST", "/api/v1/inspections/"+id+"/follow_ups", teacher, map[string]any{"date": "2026-09-01", "note": "台账已补齐"}).
		want(t, http.StatusOK, "the school reports")
	tok := e.login("town-a", "password-1")
	e.api("POST", "/api/v1/inspections/"+id+"/follow_ups", tok, map[string]any{"date": "2026-09-01", "note": "复查合格", "done": true}).
		want(t, http.StatusOK, "the township closes it")
	if find(parseHTML(t, b.get("/todo").want(t, http.StatusOK, "todo")), func(n *html.Node) bool { return attr(n, "href") == "/inspections/"+id }) != nil {
		t.Error("a closed rectification is still on the list")
	}
	page := parseHTML(t, b.get("/inspections/"+id).want(t, http.StatusOK, "inspection page"))
	if st := text(find(page, byID("inspection-state"))); !strings.Contains(st, "已销号") {
		t.Errorf("the inspection's state: %q", st)
	}
	b.get("/scorecards").want(t, http.StatusOK, "scorecards")
	var card store.Scorecard
	e.api("GET", "/api/v1/scorecards?level=school", admin, nil).want(t, http.StatusOK, "scorecards").json(t, &card)
	if len(card.Rows) != 2 || card.Rows[0].Rank != 1 {
		t.Errorf("the schools' scorecard: %+v", card.Rows)
	}
	e.api("GET", "/api/v1/scorecards?level=class", admin, nil).want(t, http.StatusBadRequest, "a bad level")
}

// TestEChartsIsThePinnedVersion: the embedded ECharts is the file of the
// npm package echarts@5.6.0 that static.go names, with its licence beside it.
func TestEChartsIsThePinnedVersion(t *testing.T) {
	body, err := staticFS.ReadFile("static/echarts/echarts.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != echartsSHA256 || !strings.Contains(string(body), `version="`+echartsVersion+`"`) {
		t.Errorf("static/echarts/echarts.min.js is not echarts %s as published (sha256 %x)", echartsVersion, sum)
	}
	for _, f := range []string{"LICENSE", "NOTICE", "LICENSE-d3"} {
		if b, err := staticFS.ReadFile("static/echarts/" + f); err != nil || len(b) < 100 {
			t.Errorf("static/echarts/%s: %d bytes, %v", f, len(b), err)
		}
	}
}

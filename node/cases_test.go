package node

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"baoxue/store"
	"baoxue/store/synth"
)

// caseWorld is a node with the org tree, a full chain of responsibility
// for one child in 拉堡镇 and the users of both lines.
type caseWorld struct {
	n                        *Node
	admin, teacher, town, jd *client
	child                    string
}

// day returns the date n days before today in China (the register refuses
// dates in the future, and the leader stamps commands with the real time).
func day(n int) string {
	return time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, -n).Format("2006-01-02")
}

func newCaseWorld(t *testing.T) *caseWorld {
	n := mustStart(t, testConfig(t, t.TempDir(), true))
	w := &caseWorld{n: n, admin: login(t, n, "admin", adminPassword)}
	orgTree(w.admin)
	w.admin.must("POST", "/api/v1/groups", map[string]string{"code": "450206100001-01", "name": "第一村民小组", "village_code": "450206100001"}, 201, nil)
	for _, u := range []map[string]string{
		{"username": "xiaoxue", "display_name": "蓝老师", "role": "teacher", "line": "education", "scope": "school:S100"},
		{"username": "zhen", "display_name": "覃干事", "role": "officer", "line": "government", "scope": "township:450206100"},
		{"username": "jinde", "display_name": "进德镇", "role": "officer", "line": "government", "scope": "township:450206101"},
	} {
		u["password"] = "password-1"
		w.admin.must("POST", "/api/v1/users", u, 201, nil)
	}
	w.teacher, w.town, w.jd = login(t, n, "xiaoxue", "password-1"), login(t, n, "zhen", "password-1"), login(t, n, "jinde", "password-1")
	body := newChild(t, 1, "S100", 3)
	body["group_code"] = "450206100001-01"
	var cr created
	w.teacher.must("POST", "/api/v1/students", body, 201, &cr)
	w.child = cr.Student.ID
	start := day(200)
	for _, a := range [][3]string{
		{"township", "450206100", "韦区长"}, {"village", "450206100001", "覃镇干部"}, {"group", "450206100001-01", "蓝村干部"},
		{"household", "450206100001-01", "黄组长"}, {"school", "S100", "莫局长"}, {"grade", "S100/3", "潘校长"},
		{"class", "S100/3/1", "梁班主任"}, {"student", w.child, "罗老师"},
	} {
		w.admin.must("POST", "/api/v1/assignments", map[string]string{"level": a[0], "unit": a[1], "name": a[2], "start": start}, 201, nil)
	}
	return w
}

type caseBody struct {
	ID          string
	State       string
	Version     uint64
	Child       store.Student
	Responsible struct{ Government, Education []store.Responsible }
	Visits      []store.Visit
	Escalations []store.Escalation
	WatchUntil  string `json:"watch_until"`
}

func (w *caseWorld) getCase(c *client, id string) caseBody {
	var out caseBody
	c.must("GET", "/api/v1/cases/"+id, nil, 200, &out)
	return out
}

func todoHas(t *testing.T, c *client, caseID, kind string) bool {
	t.Helper()
	var td struct {
		Items []store.TodoItem
		Watch []store.WatchItem
	}
	c.must("GET", "/api/v1/todo", nil, 200, &td)
	if kind == "watch" {
		return slices.ContainsFunc(td.Watch, func(x store.WatchItem) bool { return x.CaseID == caseID })
	}
	return slices.ContainsFunc(td.Items, func(x store.TodoItem) bool { return x.CaseID == caseID && x.Kind == kind })
}

// TestCaseThroughTheAPI is the "how we will check it" on a real
// node (Raft, bbolt, HTTP).
func TestCaseThroughTheAPI(t *testing.T) {
	w := newCaseWorld(t)
	var rep struct{ Case caseBody }
	w.teacher.must("POST", "/api/v1/students/"+w.child+"/dropout", map[string]string{"date": day(20), "reason": "poverty", "note": "家庭困难"}, 201, &rep)
	c := rep.Case
	if c.ID == "" || c.State != "open" || c.Child.Status != "dropped_out" {
		t.Fatalf("after the report: %+v", c)
	}
	var names []string
	for _, r := range append(slices.Clone(c.Responsible.Government), c.Responsible.Education...) {
		if r.Gap {
			t.Errorf("gap at %s", r.Level)
		}
		names = append(names, r.Name)
	}
	if want := []string{"韦区长", "覃镇干部", "蓝村干部", "黄组长", "莫局长", "潘校长", "梁班主任", "罗老师"}; !slices.Equal(names, want) {
		t.Errorf("eight responsible %v, want %v", names, want)
	}
	for who, cl := range map[string]*client{"education line": w.teacher, "government line": w.town} {
		if !todoHas(t, cl, c.ID, store.TodoNewReport) {
			t.Errorf("the %s's to-do list lacks the new report", who)
		}
	}
	var reg struct {
		Items []struct {
			CaseID string `json:"case_id"`
			Name   string `json:"name"`
			State  string `json:"state"`
		}
	}
	w.teacher.must("GET", "/api/v1/schools/S100/register", nil, 200, &reg)
	if len(reg.Items) != 1 || reg.Items[0].CaseID != c.ID || reg.Items[0].State != "open" {
		t.Errorf("school register %+v", reg.Items)
	}

	// Refusals change nothing.
	refused := func(cl *client, path string, body any, code int) {
		t.Helper()
		before := w.getCase(w.admin, c.ID)
		var e map[string]any
		if got := cl.do("POST", path, body, &e); got != code {
			t.Errorf("POST %s: HTTP %d, want %d: %v", path, got, code, e)
		}
		if code != 404 && (e["error"] == nil || e["error"] == "") {
			t.Errorf("POST %s: no reason given: %v", path, e)
		}
		after := w.getCase(w.admin, c.ID)
		if after.Version != before.Version || after.Child.Version != before.Child.Version {
			t.Errorf("POST %s changed the case (v%d→v%d) or the child", path, before.Version, after.Version)
		}
	}
	visit := map[string]any{"date": day(18), "visitors": []string{"梁班主任", "覃镇干部"}, "line": "joint", "result": "refused"}
	refused(w.town, "/api/v1/cases/"+c.ID+"/escalations", map[string]string{"step": "education", "date": day(17)}, 409) // no failed visit yet
	for i := 0; i < 3; i++ {
		w.teacher.must("POST", "/api/v1/cases/"+c.ID+"/visits", visit, 201, nil)
	}
	refused(w.town, "/api/v1/cases/"+c.ID+"/escalations", map[string]string{"step": "order", "date": day(16), "document_no": "1", "deadline": day(6)}, 409)
	refused(w.teacher, "/api/v1/cases/"+c.ID+"/close", map[string]string{"date": day(5)}, 400)
	refused(w.jd, "/api/v1/cases/"+c.ID+"/visits", visit, 404)
	if code := w.jd.do("GET", "/api/v1/cases/"+c.ID, nil, nil); code != 404 {
		t.Errorf("a user outside the scope reads the case: HTTP %d", code)
	}
	w.town.must("POST", "/api/v1/cases/"+c.ID+"/escalations", map[string]string{"step": "education", "date": day(16)}, 201, nil)
	w.town.must("POST", "/api/v1/cases/"+c.ID+"/escalations", map[string]string{"step": "order", "date": day(15),
		"document_no": "柳江拉堡责通〔2026〕9号", "served_at": day(14), "deadline": day(1)}, 201, nil)
	refused(w.town, "/api/v1/cases/"+c.ID+"/escalations", map[string]string{"step": "fine", "date": day(2), "document_no": "x"}, 409) // deadline not passed

	var closed struct{ Case caseBody }
	w.teacher.must("POST", "/api/v1/cases/"+c.ID+"/close", map[string]string{"outcome": "returned", "date": day(0)}, 200, &closed)
	if closed.Case.State != "closed" || closed.Case.Child.Status != "enrolled" || closed.Case.WatchUntil == "" {
		t.Errorf("after close: %+v", closed.Case)
	}
	if !todoHas(t, w.town, c.ID, "watch") || !todoHas(t, w.teacher, c.ID, "watch") {
		t.Error("the returned child is not on the watch list")
	}
	refused(w.teacher, "/api/v1/cases/"+c.ID+"/visits", visit, 409)
	var st store.Student
	w.teacher.must("GET", "/api/v1/students/"+w.child, nil, 200, &st)
	if st.Status != "enrolled" {
		t.Errorf("child status %s", st.Status)
	}
	// A repeat dropout opens a new case linked to the first.
	var again struct {
		Case struct {
			ID       string
			Previous []string
		}
	}
	w.teacher.must("POST", "/api/v1/students/"+w.child+"/dropout", map[string]string{"date": day(0), "reason": "learning"}, 201, &again)
	if again.Case.ID == c.ID || !slices.Equal(again.Case.Previous, []string{c.ID}) {
		t.Errorf("repeat dropout: %+v", again.Case)
	}
}

// TestBrowserCasePages drives the case page, the to-do list and the school
// register in Chromium.
func TestBrowserCasePages(t *testing.T) {
	ctx := browser(t)
	w := newCaseWorld(t)
	var rep struct{ Case caseBody }
	w.teacher.must("POST", "/api/v1/students/"+w.child+"/dropout", map[string]string{"date": day(20), "reason": "work"}, 201, &rep)
	id := rep.Case.ID
	visit := map[string]any{"date": day(18), "visitors": []string{"梁班主任"}, "line": "education", "result": "refused"}
	for i := 0; i < 2; i++ {
		w.teacher.must("POST", "/api/v1/cases/"+id+"/visits", visit, 201, nil)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	count := func(sel string) int {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.n.URL()+"/todo"),
		chromedp.WaitVisible(css(`#username`)),
		chromedp.SendKeys(css(`#username`), "zhen"),
		chromedp.SendKeys(css(`#password`), "password-1"),
		chromedp.Submit(css(`#password`)),
		chromedp.WaitVisible(css(`#todo`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if n := count(`#todo tr[data-case="` + id + `"]`); n == 0 {
		t.Errorf("the government line's to-do list has no row for %s", id)
	}

	// The case page: record the third refused visit through the form.
	err = chromedp.Do(ctx,
		chromedp.Navigate(w.n.URL()+"/cases/"+id),
		chromedp.WaitVisible(css(`#visit-form`)),
		chromedp.SetValue(css(`#v-date`), day(17)),
		chromedp.SendKeys(css(`#v-visitors`), "覃镇干部、梁班主任"),
		chromedp.SetValue(css(`#v-result`), "refused"),
		chromedp.Click(css(`#visit-submit`)),
		chromedp.WaitVisible(css(`.flash`)),
	)
	if err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("visit form: %v (at %s)", err, loc)
	}
	if got := text(`#visit-count`); got != "3" {
		t.Errorf("visit count %q after the form, want 3", got)
	}
	if got := text(`#case-state`); got != "未结案" {
		t.Errorf("state %q", got)
	}
	if n := count(`#responsible tbody tr`); n != 4 {
		t.Errorf("%d rows of responsible people, want 4", n)
	}
	if n := count(`#responsible td.gap`); n != 0 {
		t.Errorf("%d gaps shown, want none", n)
	}
	// Escalate through the form: education, then the order; the notice prints.
	err = chromedp.Do(ctx,
		chromedp.SetValue(css(`#e-step`), "education"),
		chromedp.SetValue(css(`#e-date`), day(16)),
		chromedp.Click(css(`#escalation-submit`)),
		chromedp.WaitVisible(css(`#escalations`)), // a new page: the table replaces "no legal step yet"
		chromedp.SetValue(css(`#e-step`), "order"),
		chromedp.SetValue(css(`#e-date`), day(15)),
		chromedp.SendKeys(css(`#e-doc`), "柳江拉堡责通〔2026〕12号"),
		chromedp.SetValue(css(`#e-deadline`), day(1)),
		chromedp.Click(css(`#escalation-submit`)),
		chromedp.WaitVisible(css(`#notice-link`)),
		chromedp.Click(css(`#notice-link`)),
		chromedp.WaitVisible(css(`#notice`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := text(`#notice-title`); got != "责令送被监护人接受义务教育通知书" {
		t.Errorf("notice title %q", got)
	}
	if got := text(`#notice-body`); !strings.Contains(got, "覃小1") {
		t.Errorf("notice body %q", got)
	}
	// The order is served two days later: recorded on the case page.
	err = chromedp.Do(ctx,
		chromedp.Navigate(w.n.URL()+"/cases/"+id),
		chromedp.WaitVisible(css(`#step-form`)),
		chromedp.SetValue(css(`#u-step`), "order"),
		chromedp.SetValue(css(`#u-served`), day(13)),
		chromedp.SendKeys(css(`#u-served-how`), "直接送达"),
		chromedp.Click(css(`#step-submit`)),
		chromedp.WaitVisible(css(`.flash`)),
	)
	if err != nil {
		t.Fatalf("service form: %v", err)
	}
	if got := text(`#escalations tr[data-step="order"] td.served`); !strings.Contains(got, "直接送达") {
		t.Errorf("the order's service shows %q", got)
	}

	// The school register lists the child, with the export link.
	err = chromedp.Do(ctx, chromedp.Navigate(w.n.URL()+"/schools/S100/register"), chromedp.WaitVisible(css(`#register`)))
	if err != nil {
		t.Fatal(err)
	}
	if n := count(`#register tbody tr[data-case="` + id + `"]`); n != 1 {
		t.Errorf("register has %d rows for %s", n, id)
	}
	if got := text(`#register tbody tr`); !strings.Contains(got, "覃小1") || !strings.Contains(got, "法律程序中") {
		t.Errorf("register row %q", got)
	}
	if n := count(`#xlsx-link[href="/schools/S100/register.xlsx"]`); n != 1 {
		t.Error("no export link")
	}
}

// TestBrowserCaseSettings: an administrator changes the number of failed
// visits before legal steps on the case settings page; the page then shows
// the new value and who changed it, and the register has it.
func TestBrowserCaseSettings(t *testing.T) {
	ctx := browser(t)
	n := mustStart(t, testConfig(t, t.TempDir(), true))
	admin := login(t, n, "admin", adminPassword)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(ctx,
		chromedp.Navigate(n.URL()+"/settings/cases"),
		chromedp.WaitVisible(css(`#username`)),
		chromedp.SendKeys(css(`#username`), "admin"),
		chromedp.SendKeys(css(`#password`), adminPassword),
		chromedp.Submit(css(`#password`)),
		chromedp.WaitVisible(css(`#case-settings-form`)),
		chromedp.SetValue(css(`#s-failed_visits`), "4"),
		chromedp.Click(css(`#case-settings-submit`)),
		chromedp.WaitVisible(css(`.flash`)),
	)
	if err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("settings form: %v (at %s)", err, loc)
	}
	for sel, want := range map[string]string{`#value-failed_visits`: "4 次", `#settings-updated`: "最近一次由 admin 于"} {
		if got, err := chromedp.Run(ctx, chromedp.Text(css(sel))); err != nil || !strings.Contains(got, want) {
			t.Errorf("%s = %q, %v; want %q", sel, got, err, want)
		}
	}
	var set store.CaseSettings
	admin.must("GET", "/api/v1/settings/cases", nil, 200, &set)
	if set.FailedVisits != 4 || set.UpdatedBy != "admin" {
		t.Errorf("settings in the register %+v, want 4 failed visits set by admin", set)
	}
}

// TestBrowserHouseholds: from a child's page to the households of its
// villager group, where the child and its sibling share a row.
func TestBrowserHouseholds(t *testing.T) {
	ctx := browser(t)
	w := newCaseWorld(t)
	w.admin.must("PATCH", "/api/v1/students/"+w.child, map[string]any{"version": 1, "household": "000042"}, 200, nil)
	sib := newChild(t, 2, "S100", 1)
	sib["group_code"], sib["household"] = "450206100001-01", "000042"
	w.admin.must("POST", "/api/v1/students", sib, 201, nil)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.n.URL()+"/students/"+w.child),
		chromedp.WaitVisible(css(`#username`)),
		chromedp.SendKeys(css(`#username`), "zhen"),
		chromedp.SendKeys(css(`#password`), "password-1"),
		chromedp.Submit(css(`#password`)),
		chromedp.WaitVisible(css(`#households-link`)),
		chromedp.Click(css(`#households-link`)),
		chromedp.WaitVisible(css(`#households`)),
	)
	if err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("households page: %v (at %s)", err, loc)
	}
	row, err := chromedp.Run(ctx, chromedp.Text(css(`#households tr[data-household="000042"]`)))
	if err != nil || !strings.Contains(row, "覃小1") || !strings.Contains(row, "覃小2") {
		t.Errorf("household 000042's row %q, %v; want both children", row, err)
	}
	if leader, _ := chromedp.Run(ctx, chromedp.Text(css(`#households-leader`))); !strings.Contains(leader, "黄组长") {
		t.Errorf("the group leader shown is %q, want 黄组长", leader)
	}
}

// TestLoadDemoCases loads a small synthetic district with its
// responsibility tree and cases through the command path.
func TestLoadDemoCases(t *testing.T) {
	cfg := synth.DefaultConfig()
	cfg.Students = 8000
	d, err := synth.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := mustStart(t, testConfig(t, t.TempDir(), true))
	if err := synth.Load(context.Background(), n, n.ID(), d, cfg.Seed, "demo-password", nil); err != nil {
		t.Fatal(err)
	}
	rows, err := n.Store().ListCases(store.DistrictScope, store.CaseFilter{})
	if err != nil || len(rows) != len(d.Cases) || len(rows) == 0 {
		t.Fatalf("%d cases, want %d (%v)", len(rows), len(d.Cases), err)
	}
	xs, _ := n.Store().Assignments(store.DistrictScope, store.AssignmentFilter{})
	if len(xs) != len(d.Assignments) {
		t.Errorf("%d assignments, want %d", len(xs), len(d.Assignments))
	}
	// A year of monthly reports in every state, with the figures counted.
	today := store.DateOf(time.Now()).String()
	seen := map[string]int{}
	for m, i := store.PrevMonth(store.MonthOf(today)), 0; i < 12; m, i = store.PrevMonth(m), i+1 {
		items, err := n.Store().Reports(store.DistrictScope, m, today, "", "")
		if err != nil || len(items) == 0 {
			t.Fatalf("reports of %s: %d (%v)", m, len(items), err)
		}
		for _, it := range items {
			seen[it.State]++
			seen[it.Timeliness]++
			if it.Report != nil && (it.Report.Figures == nil || it.Report.Figures.Row(store.MeasureEnrolled).Total.All == 0) {
				t.Errorf("%s %s: submitted without figures", it.SchoolCode, m)
			}
		}
	}
	for _, st := range []string{store.ReportApproved, store.ReportReturned, store.ReportMissing, store.ReportSubmitted, store.ReportReviewed, store.ReportLate, store.ReportOnTime} {
		if seen[st] == 0 {
			t.Errorf("no demo report is %s: %v", st, seen)
		}
	}
}

package node

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestOfflineCaseVisits: a township cut off from the bureau reports a child
// out of school and goes on visiting the family. The report is pending, so
// the case has no id; the township names it by the report
// (/cases/report:<command id>), sees it with its queued visits, and records
// more, through the API and through the case page's form. After the link
// heals the case exists everywhere with every visit, once, in order, and
// the report's address leads to the case.
func TestOfflineCaseVisits(t *testing.T) {
	c := newCluster(t, fastTiming())
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	town := c.join(t, "lapu", townshipCode, false)
	var child, other writeAnswer
	bureau.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 1, "S100", 5), 201, &child)
	bureau.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 2, "S100", 5), 201, &other)
	c.waitConverged(t, 30*time.Second)
	id := child.Student.ID

	c.isolate(town)
	report := NewCommandID()
	var a writeAnswer
	town.mustAPI(t, "POST", "/api/v1/students/"+id+"/dropout",
		map[string]any{"date": day(9), "reason": "work", "note": "随父母外出务工", "command_id": report}, 202, &a)
	if a.Command.State != "pending" {
		t.Fatalf("dropout report on the cut-off township: %+v, want pending", a.Command)
	}
	ref := "report:" + report
	town.mustAPI(t, "GET", "/api/v1/cases/"+ref, nil, 202, nil)
	var visits []string
	for i, result := range []string{"refused", "not_found"} {
		v := NewCommandID()
		town.mustAPI(t, "POST", "/api/v1/cases/"+ref+"/visits", map[string]any{"date": day(8 - i), "visitors": []string{"覃干部", "梁老师"},
			"line": "joint", "result": result, "command_id": v}, 202, nil)
		visits = append(visits, v)
	}
	// Bad input on a pending case is refused at once and queues nothing.
	town.mustAPI(t, "POST", "/api/v1/cases/"+ref+"/visits", map[string]any{"date": day(5), "line": "joint", "result": "refused"}, 400, nil)

	// The case page, by its report: the report, the queued visits, and a
	// form that queues one more.
	b := pageSession(t, town)
	page := b.get(t, "/cases/"+ref, 200)
	for _, want := range []string{"待同步的案件", "外出务工", "覃干部、梁老师"} {
		if !strings.Contains(page, want) {
			t.Errorf("pending case page lacks %q", want)
		}
	}
	if n := strings.Count(page, `class="result-`); n != 2 {
		t.Errorf("pending case page shows %d queued visits, want 2", n)
	}
	loc := b.post(t, "/cases/"+ref+"/visits", page, url.Values{"date": {day(4)}, "visitors": {"蓝村干"}, "line": {"government"}, "result": {"refused"}}, 303)
	if loc != "/cases/"+url.PathEscape(ref) {
		t.Errorf("visit form redirected to %q, want back to the pending case", loc)
	}
	bad := b.post(t, "/cases/"+ref+"/visits", page, url.Values{"date": {day(4)}, "line": {"government"}, "result": {"refused"}}, 400)
	if !strings.Contains(bad, "待同步的案件") || !strings.Contains(bad, `class="field invalid"><label for="v-visitors"`) {
		t.Errorf("a visit without visitors on the pending case:\n%.3000s", bad)
	}
	if page := b.get(t, "/cases/"+ref, 200); strings.Count(page, `class="result-`) != 3 {
		t.Errorf("after the form, the pending case shows %d visits, want 3", strings.Count(page, `class="result-`))
	}
	if page := b.get(t, "/students/"+id, 200); !strings.Contains(page, `href="/cases/`+ref+`"`) || strings.Contains(page, "dropout-link") {
		t.Error("the child's page does not link to the pending case, or offers a second report")
	}
	// In the browser: the dropout form leads to the pending case it opens,
	// whose form takes a visit.
	ctx := browser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(ctx,
		chromedp.Navigate("http://"+town.httpAddr+"/students/"+other.Student.ID+"/dropout"),
		chromedp.WaitVisible(css(`#username`)),
		chromedp.SendKeys(css(`#username`), "admin"),
		chromedp.SendKeys(css(`#password`), adminPassword),
		chromedp.Submit(css(`#password`)),
		chromedp.WaitVisible(css(`#dropout-form`)),
		chromedp.SetValue(css(`#f-date`), day(3)),
		chromedp.SetValue(css(`#f-reason`), "poverty"),
		chromedp.Submit(css(`#f-reason`)),
		chromedp.WaitVisible(css(`#pending-explain`)),
		chromedp.SetValue(css(`#v-date`), day(2)),
		chromedp.SendKeys(css(`#v-visitors`), "覃干部"),
		chromedp.SetValue(css(`#v-result`), "promised"),
		chromedp.Click(css(`#visit-submit`)),
		chromedp.WaitVisible(css(`#visits`)),
	)
	if err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("dropout and visit forms on the cut-off township: %v (at %s)", err, loc)
	}
	otherRef, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || !strings.Contains(otherRef, "/cases/report") {
		t.Fatalf("after the visit form the browser is at %q, %v; want the pending case", otherRef, err)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Text(css(`#visit-count`))); n != "1" {
		t.Errorf("the pending case shows %q visits, want 1", n)
	}
	// The child is back two days later: the case is closed, still pending.
	err = chromedp.Do(ctx,
		chromedp.SetValue(css(`#c-outcome`), "returned"),
		chromedp.SetValue(css(`#c-date`), day(1)),
		chromedp.Click(css(`#close-submit`)),
		chromedp.WaitVisible(css(`#pending-others`)),
	)
	if err != nil {
		t.Fatalf("close form on the pending case: %v", err)
	}
	otherRef, _ = url.PathUnescape(otherRef[strings.Index(otherRef, "report"):])
	if st, err := town.sync(); err != nil || st.Outbox.Pending != 7 {
		t.Errorf("township outbox: %+v, %v; want 2 reports, 4 visits and a close pending", st.Outbox, err)
	}

	c.heal()
	c.waitConverged(t, 60*time.Second)
	for _, p := range []*proc{bureau, town} {
		var cs struct {
			ID           string
			State        string
			FailedVisits int  `json:"failed_visits"`
			CanEscalate  bool `json:"can_escalate"`
			Visits       []struct {
				N                  int
				Date, Result, Node string
				Visitors           []string
			}
		}
		p.mustAPI(t, "GET", "/api/v1/cases/"+ref, nil, 200, &cs)
		got := []string{}
		for _, v := range cs.Visits {
			got = append(got, fmt.Sprintf("%d %s %s %s", v.N, v.Date, v.Result, strings.Join(v.Visitors, "、")))
		}
		want := []string{"1 " + day(8) + " refused 覃干部、梁老师", "2 " + day(7) + " not_found 覃干部、梁老师", "3 " + day(4) + " refused 蓝村干"}
		if cs.State != "open" || cs.FailedVisits != 3 || !cs.CanEscalate || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("case on %s: %s %s, %d failed, can escalate %v, visits:\n%s\nwant open, 3 failed, escalation allowed, visits:\n%s",
				p.id, cs.ID, cs.State, cs.FailedVisits, cs.CanEscalate, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		for _, v := range cs.Visits {
			if v.Node != "lapu" {
				t.Errorf("visit %d on %s recorded at node %q, want lapu", v.N, p.id, v.Node)
			}
		}
		if p == town {
			if loc := b.get(t, "/cases/"+ref, 303); loc != "/cases/"+cs.ID {
				t.Errorf("the report's address on the township leads to %q, want /cases/%s", loc, cs.ID)
			}
		}
	}
	for _, v := range visits {
		if st, reason, err := commandState(town, v); err != nil || st != "applied" {
			t.Errorf("visit %s: %s %s %v, want applied", v, st, reason, err)
		}
	}
	var oc struct {
		State, Outcome string
		Visits         []struct{ Result string }
		Child          struct{ Status string }
	}
	bureau.mustAPI(t, "GET", "/api/v1/cases/"+otherRef, nil, 200, &oc)
	if len(oc.Visits) != 1 || oc.Visits[0].Result != "promised" || oc.State != "closed" || oc.Outcome != "returned" || oc.Child.Status != "enrolled" {
		t.Errorf("the case opened in the browser: %+v; want the one promised visit, closed as returned, the child enrolled", oc)
	}
	// Both nodes read the case above (R22): each sees the other's read.
	for _, p := range []*proc{bureau, town} {
		waitFor(t, 20*time.Second, "reads of the case from both nodes on "+p.id, func() error {
			var reads struct {
				Items []struct{ User, Node, Via string }
			}
			p.mustAPI(t, "GET", "/api/v1/cases/"+ref+"/reads", nil, 200, &reads)
			nodes := map[string]bool{}
			for _, r := range reads.Items {
				if r.User == "admin" && r.Via == "api" {
					nodes[r.Node] = true
				}
			}
			if !nodes["bureau"] || !nodes["lapu"] {
				return fmt.Errorf("reads %+v", reads.Items)
			}
			return nil
		})
	}
	// A read on a cut-off township is recorded there at once (marked not
	// synced yet) and reaches the bureau when the link is back. (A print:
	// admin's API reads of the case on lapu within five minutes are one
	// record, made above.)
	var printed struct{ ID string }
	town.mustAPI(t, "GET", "/api/v1/cases/"+ref, nil, 200, &printed)
	c.isolate(town)
	b.get(t, "/cases/"+printed.ID+"/print", 200)
	type read struct {
		User, Node, Via string
		Pending         bool
	}
	var reads struct{ Items []read }
	town.mustAPI(t, "GET", "/api/v1/cases/"+ref+"/reads", nil, 200, &reads)
	if len(reads.Items) == 0 || !reads.Items[0].Pending || reads.Items[0].Node != "lapu" {
		t.Errorf("reads on the cut-off township %+v, want its own newest read first, not synced yet", reads.Items)
	}
	count := func(p *proc) int {
		var reads struct{ Items []read }
		p.mustAPI(t, "GET", "/api/v1/cases/"+ref+"/reads", nil, 200, &reads)
		n := 0
		for _, r := range reads.Items {
			if r.Node == "lapu" && !r.Pending {
				n++
			}
		}
		return n
	}
	before := count(bureau)
	c.heal()
	waitFor(t, 20*time.Second, "the offline read to reach the bureau", func() error {
		if n := count(bureau); n != before+1 {
			return fmt.Errorf("the bureau has %d reads from lapu, want %d", n, before+1)
		}
		return nil
	})
}

// pageClient is a logged-in browser session on one node's web pages.
type pageClient struct {
	p *proc
	c *http.Client
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func pageSession(t *testing.T, p *proc) *pageClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &pageClient{p: p, c: &http.Client{Jar: jar, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	login := b.get(t, "/login", 200)
	b.post(t, "/login", login, url.Values{"username": {"admin"}, "password": {adminPassword}}, 303)
	return b
}

// get returns the page's body, or for a redirect its Location.
func (b *pageClient) get(t *testing.T, path string, want int) string {
	t.Helper()
	resp, err := b.c.Get("http://" + b.p.httpAddr + path)
	return b.answer(t, "GET "+path, resp, err, want)
}

// post submits a form with the CSRF token of page (a page's body) and
// returns the redirect's Location (or the body).
func (b *pageClient) post(t *testing.T, path, page string, form url.Values, want int) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("POST %s: no CSRF token on the page", path)
	}
	form.Set("_csrf", m[1])
	resp, err := b.c.PostForm("http://"+b.p.httpAddr+path, form)
	return b.answer(t, "POST "+path, resp, err, want)
}

func (b *pageClient) answer(t *testing.T, what string, resp *http.Response, err error, want int) string {
	t.Helper()
	if err != nil {
		t.Fatalf("%s on %s: %v", what, b.p.id, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s on %s: HTTP %d, want %d:\n%.2000s", what, b.p.id, resp.StatusCode, want, body)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		return loc
	}
	return string(body)
}

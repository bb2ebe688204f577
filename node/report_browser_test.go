package node

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"baoxue/store"
)

// TestBrowserReportWorkflow: a school submits its monthly report, the
// township returns it with a reason, the school sees the reason and
// submits again, the bureau approves it; each through the pages, as each
// of them would.
func TestBrowserReportWorkflow(t *testing.T) {
	ctx := browser(t)
	n := mustStart(t, testConfig(t, t.TempDir(), true))
	admin := login(t, n, "admin", adminPassword)
	orgTree(admin)
	for _, u := range []map[string]string{
		{"username": "xiaozhang", "role": "officer", "line": "education", "scope": "school:S100"},
		{"username": "zhen", "role": "officer", "line": "government", "scope": "township:450206100"},
		{"username": "jiaoyuju", "role": "officer", "line": "education", "scope": "district"},
	} {
		u["password"], u["display_name"] = adminPassword, u["username"]
		admin.must("POST", "/api/v1/users", u, 201, nil)
	}
	admin.must("POST", "/api/v1/students", newChild(t, 2, "S100", 3), 201, nil)
	month := store.MonthOf(store.DateOf(time.Now()).String()) // the leader stamps commands with its clock
	page := n.URL() + "/reports/S100/" + month

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	as := func(user string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.Navigate(n.URL()+"/login"),
			chromedp.WaitVisible(css(`#username`)),
			chromedp.SendKeys(css(`#username`), user),
			chromedp.SendKeys(css(`#password`), adminPassword),
			chromedp.Submit(css(`#password`)),
			chromedp.WaitVisible(css(`nav.menu`)),
			chromedp.Navigate(page),
			chromedp.WaitVisible(css(`#report-figures`)),
		)
		if err != nil {
			t.Fatalf("%s opens the report: %v", user, err)
		}
	}
	logout := func() {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(css(`form[action="/logout"] button`)), chromedp.WaitVisible(css(`#username`))); err != nil {
			t.Fatalf("logout: %v", err)
		}
	}
	state := func(want string) { // after the form's redirect, the page shows the report in its new state
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := chromedp.Do(wctx, chromedp.WaitVisible(css(`#report-state[data-state="`+want+`"]`))); err != nil {
			got, _ := chromedp.Run(ctx, chromedp.AttributeValue(css(`#report-state`), "data-state"))
			errText, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('#form-error')||{}).textContent||''`))
			t.Fatalf("report state %q, want %q (%v) %s", got.Value, want, err, errText)
		}
	}
	act := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}

	as("xiaozhang")
	enrolled, err := chromedp.Run(ctx, chromedp.Text(css(`#fig-enrolled td.total`)))
	if err != nil || strings.TrimSpace(enrolled) != "1" {
		t.Errorf("enrolled on the form: %q (%v), want 1", enrolled, err)
	}
	act(chromedp.SendKeys(css(`#summary`), "本月无新增辍学，开展家访两次。"), chromedp.Click(css(`#report-submit`)))
	state(store.ReportSubmitted)
	logout()

	as("zhen")
	act(chromedp.SendKeys(css(`#report-return-reason`), "请补充典型案例"), chromedp.Click(css(`#report-return`)))
	state(store.ReportReturned)
	logout()

	as("xiaozhang")
	reason, err := chromedp.Run(ctx, chromedp.Text(css(`#report-reason`)))
	if err != nil || !strings.Contains(reason, "请补充典型案例") {
		t.Errorf("the school does not see why it was returned: %q (%v)", reason, err)
	}
	act(chromedp.SetValue(css(`#summary`), "本月无新增辍学。典型案例：六年级某生随父母外出，经家访劝返复学。"), chromedp.Click(css(`#report-submit`)))
	state(store.ReportSubmitted)
	logout()

	as("jiaoyuju")
	act(chromedp.Click(css(`#report-approve`)))
	state(store.ReportApproved)
	history, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#report-history tbody tr').length`))
	summary, _ := chromedp.Run(ctx, chromedp.Text(css(`#report-summary-text`)))
	if history != 4 || !strings.Contains(summary, "典型案例") {
		t.Errorf("approved report: %d steps in its history, summary %q; want 4 and the resubmitted text", history, summary)
	}
}

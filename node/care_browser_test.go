package node

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserCareRegister: an officer opens the left-behind register,
// unfolds the contact form, records a call with the parents and sees it
// counted on the register and on the child's care log.
func TestBrowserCareRegister(t *testing.T) {
	ctx := browser(t)
	n := mustStart(t, testConfig(t, t.TempDir(), true))
	admin := login(t, n, "admin", adminPassword)
	orgTree(admin)
	c := newChild(t, 1, "S100", 3)
	c["flags"] = []string{"left_behind"}
	c["details"] = map[string]string{"parents_workplace": "广东东莞", "parents_phone": "13800000000"}
	var out struct{ Student struct{ ID string } }
	admin.must("POST", "/api/v1/students", c, 201, &out)

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(ctx,
		chromedp.Navigate(n.URL()+"/care/left_behind"),
		chromedp.WaitVisible(css(`#username`)),
		chromedp.SendKeys(css(`#username`), "admin"),
		chromedp.SendKeys(css(`#password`), adminPassword),
		chromedp.Submit(css(`#password`)),
		chromedp.WaitVisible(css(`#care`)),
		chromedp.Click(css(`#care-log-summary`)),
		chromedp.WaitVisible(css(`#care-log-form input[name=content]`)),
		chromedp.SetValue(css(`#care-log-form select[name=mode]`), "video"),
		chromedp.SendKeys(css(`#care-log-form input[name=content]`), "期中考试情况"),
		chromedp.Submit(css(`#care-log-form input[name=content]`)),
		chromedp.WaitVisible(css(`p.flash`)), // only the page after the save says 已保存
		chromedp.WaitVisible(css(`#care`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	row, err := chromedp.Run(ctx, chromedp.Text(css(`#row-`+out.Student.ID)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(row, "138****0000") || strings.Contains(row, "13800000000") {
		t.Errorf("the register's row shows the phone unmasked or not at all: %q", row)
	}
	contacts, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#row-`+out.Student.ID+` td:nth-child(10)').textContent`))
	if strings.TrimSpace(contacts) != "1" {
		t.Errorf("contacts counted: %q, want 1", contacts)
	}
	err = chromedp.Do(ctx, chromedp.Navigate(n.URL()+"/students/"+out.Student.ID+"/care"), chromedp.WaitVisible(css(`#care-log`)))
	if err != nil {
		t.Fatal(err)
	}
	if log, _ := chromedp.Run(ctx, chromedp.Text(css(`#care-log`))); !strings.Contains(log, "期中考试情况") || !strings.Contains(log, "视频") {
		t.Errorf("care log: %q", log)
	}
}

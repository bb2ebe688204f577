package node

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// TestBrowserImport: an officer uploads a school's GBK student-status
// export on the 导入 page, sees the preview (one row of each class), ticks
// the one change, writes it, watches the progress bar reach the end, and
// downloads the error rows.
func TestBrowserImport(t *testing.T) {
	ctx := browser(t)
	n := mustStart(t, testConfig(t, t.TempDir(), true))
	admin := login(t, n, "admin", adminPassword)
	orgTree(admin)
	old := newChild(t, 1, "S100", 3)
	admin.must("POST", "/api/v1/students", old, 201, nil)
	moved := newChild(t, 3, "S100", 3)
	admin.must("POST", "/api/v1/students", moved, 201, nil)
	fresh := newChild(t, 5, "S100", 3)
	bad := newChild(t, 7, "S100", 3)
	badID := bad["id_number"].(string)
	badID = badID[:17] + map[bool]string{true: "1", false: "0"}[badID[17] == '0']
	row := func(c map[string]any, id string, class int) string {
		return fmt.Sprintf("%s,%s,壮族,拉堡镇中心小学,三年级,%d班,%s\r\n", c["name"], id, class, c["village_code"])
	}
	csv := "姓名,身份证号,民族,学校名称,年级,班级,行政村代码\r\n" + row(old, old["id_number"].(string), 1) +
		row(moved, moved["id_number"].(string), 2) + row(fresh, fresh["id_number"].(string), 1) + row(bad, badID, 1)
	data, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(csv))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "学籍导出.csv")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err = chromedp.Do(ctx,
		chromedp.Navigate(n.URL()+"/imports"),
		chromedp.WaitVisible(css(`#username`)),
		chromedp.SendKeys(css(`#username`), "admin"),
		chromedp.SendKeys(css(`#password`), adminPassword),
		chromedp.Submit(css(`#password`)),
		chromedp.WaitVisible(css(`#import-form`)),
		chromedp.SetUploadFiles(css(`#import-file`), []string{file}),
		chromedp.Click(css(`#import-upload`)),
		chromedp.WaitVisible(css(`#import-state[data-state="ready"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"#count-new": "1", "#count-unchanged": "1", "#count-changes": "1", "#count-error": "1"} {
		if got, err := chromedp.Run(ctx, chromedp.Text(css(id))); err != nil || got != want {
			t.Errorf("%s: %q %v, want %s", id, got, err, want)
		}
	}
	reason, err := chromedp.Run(ctx, chromedp.Text(css(`#import-error-rows tbody tr`)))
	if err != nil || !strings.Contains(reason, "身份证号") {
		t.Errorf("error row: %q %v, want the ID number named", reason, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(css(`#import-changes input[name=accept]`)),
		chromedp.Click(css(`#import-apply-button`)),
		chromedp.WaitVisible(css(`#import-state[data-state="applied"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	bar, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(b => [b.value, b.max])(document.querySelector('#import-bar'))`))
	if err != nil || len(bar) != 2 || bar[0] != bar[1] || bar[1] != 2 {
		t.Errorf("progress bar %v %v, want 2 of 2", bar, err)
	}
	result, _ := chromedp.Run(ctx, chromedp.Text(css(`#import-result`)))
	if !strings.Contains(result, "已写入 2 行") {
		t.Errorf("result %q, want 2 rows written", result)
	}
	// The error rows, downloaded as the browser does.
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(document.querySelector('#import-errors-xlsx').href)
		.then(r => r.arrayBuffer().then(b => r.status + ' ' + r.headers.get('content-type') + ' ' + String.fromCharCode(...new Uint8Array(b).slice(0, 2))))`,
		chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(got, "200 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet PK") {
		t.Errorf("error rows download: %q %v", got, err)
	}
	var page struct {
		Total int
		Items []struct{ Class int }
	}
	admin.must("GET", "/api/v1/students?q="+moved["id_number"].(string), nil, 200, &page)
	if len(page.Items) != 1 || page.Items[0].Class != 2 {
		t.Errorf("the accepted change: %+v", page)
	}
}

package node

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"baoxue/store"
)

// TestBrowserDashboard: the dashboard draws every chart (a canvas in each)
// with ECharts served by the node, and the table one click under the rates
// chart shows the API's figures.
func TestBrowserDashboard(t *testing.T) {
	ctx := browser(t)
	n := mustStart(t, testConfig(t, t.TempDir(), true))
	admin := login(t, n, "admin", adminPassword)
	orgTree(admin)
	var ids []string
	for i := 0; i < 6; i++ {
		school, grade := "S100", 5
		if i >= 3 {
			school, grade = "S101", 9
		}
		var out struct{ Student store.Student }
		admin.must("POST", "/api/v1/students", newChild(t, 2*i+1, school, grade), 201, &out)
		ids = append(ids, out.Student.ID)
	}
	today := store.DateOf(time.Now()).String()
	admin.must("POST", "/api/v1/students/"+ids[4]+"/status", map[string]string{"status": "transferred_out", "date": today, "destination": "柳州市某中学"}, 200, nil)
	admin.must("POST", "/api/v1/students/"+ids[5]+"/status", map[string]string{"status": "dropped_out", "date": today, "reason": "厌学"}, 200, nil)
	var rep store.RatesReport
	admin.must("GET", "/api/v1/rates", nil, 200, &rep)

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(ctx,
		chromedp.Navigate(n.URL()+"/dashboard"),
		chromedp.WaitVisible(css(`#username`)),
		chromedp.SendKeys(css(`#username`), "admin"),
		chromedp.SendKeys(css(`#password`), adminPassword),
		chromedp.Submit(css(`#password`)),
		chromedp.WaitVisible(css(`#chart-rates .chart-canvas canvas`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.chart').length`))
	if err != nil {
		t.Fatal(err)
	}
	drawn, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.chart .chart-canvas canvas').length`))
	if charts < 6 || drawn != charts {
		t.Errorf("%d charts, %d drawn on a canvas", charts, drawn)
	}
	if err := chromedp.Do(ctx, chromedp.Click(css(`#chart-rates summary`)), chromedp.WaitVisible(css(`#table-chart-rates`))); err != nil {
		t.Fatal(err)
	}
	cells, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('#table-chart-rates tbody tr td:nth-of-type(1)')).map(td => td.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != len(rep.Rates) {
		t.Fatalf("the table has %d rates, the API %d", len(cells), len(rep.Rates))
	}
	for i, r := range rep.Rates {
		want := "—"
		if r.Value != nil {
			want = strconv.FormatFloat(math.Round(*r.Value*1000)/10, 'f', -1, 64) + "%"
		}
		if cells[i] != want {
			t.Errorf("%s: the table shows %q, the API %s (%d ÷ %d)", r.Name, cells[i], want, r.Numerator, r.Denominator)
		}
	}
}

package node

import (
	"context"
	"math"
	"regexp"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// A4 in PostScript points, and the width a page leaves for content in CSS
// pixels (96 per inch) with the margins of ui/static/case.css.
const (
	a4Short, a4Long = 595.28, 841.89
	mmPx            = 96 / 25.4
)

var mediaBox = regexp.MustCompile(`/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]`)

// printToPDF prints the page as Chromium's print dialog would, with the
// page size the stylesheet asks for.
func printToPDF(ctx context.Context, t *chromedp.Target) ([]byte, error) {
	yes := true
	res, err := cdp.Call(ctx, t, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PreferCSSPageSize: &yes})
	return res.Data, err
}

// printLayout lays the page out for print at the width a page leaves for
// content: what overflows it falls off the paper.
func printLayout(width int64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: width, Height: 1000, DeviceScaleFactor: 1})
		return err
	})
}

func screenLayout() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		return err
	})
}

// overflow is how many CSS pixels the widest element sticks out past the
// page's right edge, and wrapped lists the dates broken over two lines.
const overflowJS = `(() => {
  let right = 0;
  for (const e of document.querySelectorAll('main *')) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > right) right = r.right;
  }
  return Math.max(0, Math.ceil(right - document.documentElement.clientWidth));
})()`

const wrappedDatesJS = `(() => {
  const out = [];
  for (const e of document.querySelectorAll('.date')) {
    const r = document.createRange();
    r.selectNodeContents(e);
    const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
    if (lines.size > 1) out.push(e.textContent);
  }
  return out;
})()`

// printWorld is newCaseWorld with a case that went through visits, an
// order and long notes, four more cases at the school, and a browser logged
// in as the administrator.
func printWorld(t *testing.T) (context.Context, *caseWorld, string) {
	ctx := browser(t)
	w := newCaseWorld(t)
	var rep struct{ Case caseBody }
	w.teacher.must("POST", "/api/v1/students/"+w.child+"/dropout", map[string]string{"date": day(20), "reason": "guardian_neglect",
		"note": "监护人长期在外务工，孩子由年迈的祖父母照看，多次劝说无效"}, 201, &rep)
	id := rep.Case.ID
	for i := 0; i < 3; i++ {
		w.teacher.must("POST", "/api/v1/cases/"+id+"/visits", map[string]any{"date": day(18 - i), "visitors": []string{"梁班主任", "覃镇干部", "蓝村干部"},
			"line": "joint", "result": "refused", "note": "家长表示孩子不愿读书，要求孩子在家帮忙干农活"}, 201, nil)
	}
	w.teacher.must("POST", "/api/v1/cases/"+id+"/escalations", map[string]any{"step": "education", "date": day(14)}, 201, nil)
	w.teacher.must("POST", "/api/v1/cases/"+id+"/escalations", map[string]any{"step": "order", "date": day(13),
		"document_no": "柳江拉堡责通〔2026〕12号", "deadline": day(1)}, 201, nil)
	for i := 2; i < 6; i++ {
		var cr created
		w.teacher.must("POST", "/api/v1/students", newChild(t, 2*i+1, "S100", 3), 201, &cr)
		w.teacher.must("POST", "/api/v1/students/"+cr.Student.ID+"/dropout", map[string]string{"date": day(10 + i), "reason": "learning"}, 201, nil)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.n.URL()+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`#password`), adminPassword),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`#students`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	return ctx, w, id
}

// TestBrowserPrintViewsFitA4 prints the school register, a case file and
// the order notice to PDF with Chromium: each comes out on A4 (the
// register landscape), nothing sticks out past the page's printable width,
// and no date breaks over two lines.
func TestBrowserPrintViewsFitA4(t *testing.T) {
	ctx, w, id := printWorld(t)
	for _, tc := range []struct {
		path, ready string
		landscape   bool
		marginMM    float64
	}{
		{"/schools/S100/register/print", "#register-print", true, 10},
		{"/cases/" + id + "/print", "#case-print", false, 15},
		{"/cases/" + id + "/notice", "#notice", false, 15},
	} {
		if err := chromedp.Do(ctx, screenLayout(), chromedp.Navigate(w.n.URL()+tc.path), chromedp.WaitVisible(chromedp.CSS(tc.ready))); err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		pdf, err := chromedp.Run(ctx, printToPDF)
		if err != nil {
			t.Fatalf("%s: print: %v", tc.path, err)
		}
		boxes := mediaBox.FindAllSubmatch(pdf, -1)
		if len(boxes) == 0 {
			t.Fatalf("%s: the PDF has no page size", tc.path)
		}
		wantW, wantH := a4Short, a4Long
		if tc.landscape {
			wantW, wantH = a4Long, a4Short
		}
		for _, b := range boxes {
			pw, _ := strconv.ParseFloat(string(b[1]), 64)
			ph, _ := strconv.ParseFloat(string(b[2]), 64)
			if math.Abs(pw-wantW) > 2 || math.Abs(ph-wantH) > 2 {
				t.Errorf("%s: page %.0f × %.0f pt, want A4 %.0f × %.0f", tc.path, pw, ph, wantW, wantH)
			}
		}
		width := int64((wantW/72*25.4 - 2*tc.marginMM) * mmPx)
		if err := chromedp.Do(ctx, printLayout(width), chromedp.Navigate(w.n.URL()+tc.path), chromedp.WaitVisible(chromedp.CSS(tc.ready))); err != nil {
			t.Fatal(err)
		}
		over, err := chromedp.Run(ctx, chromedp.Evaluate[int](overflowJS))
		if err != nil {
			t.Fatal(err)
		}
		if over > 0 {
			t.Errorf("%s: printed, the page sticks out %d px past the %d px the paper leaves", tc.path, over, width)
		}
		wrapped, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](wrappedDatesJS))
		if err != nil {
			t.Fatal(err)
		}
		if len(wrapped) > 0 {
			t.Errorf("%s: dates broken over two lines: %q", tc.path, wrapped)
		}
	}
	// On an office PC's screen the register shows every column.
	err := chromedp.Do(ctx, screenLayout(), chromedp.EmulateViewport(1280, 900), chromedp.Navigate(w.n.URL()+"/schools/S100/register"),
		chromedp.WaitVisible(chromedp.CSS(`#register`)))
	if err != nil {
		t.Fatal(err)
	}
	over, err := chromedp.Run(ctx, chromedp.Evaluate[int](`Math.ceil(document.querySelector('#register').getBoundingClientRect().right - document.documentElement.clientWidth)`))
	if err != nil {
		t.Fatal(err)
	}
	if over > 0 {
		t.Errorf("on a 1280 px screen the register's last %d px are cut off", over)
	}
}

// TestBrowserListsFitAPhone: on a phone-sized window (390 px) the lists
// become cards, one per row, and no page scrolls sideways.
func TestBrowserListsFitAPhone(t *testing.T) {
	ctx, w, id := printWorld(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, list string }{
		{"/students", "#students"}, {"/cases", "#cases"}, {"/todo", "#todo"}, {"/schools/S100/register", "#register"},
		{"/students/" + w.child, "#history"}, {"/cases/" + id, "#visits"},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(w.n.URL()+tc.path), chromedp.WaitVisible(chromedp.CSS(tc.list))); err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		over, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if over > 0 {
			t.Errorf("%s scrolls sideways by %d px on a phone", tc.path, over)
		}
		display, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('`+tc.list+` tbody tr')).display`))
		if err != nil {
			t.Fatal(err)
		}
		if display != "block" {
			t.Errorf("%s: the list's rows show as %q on a phone, want cards (block)", tc.path, display)
		}
	}
	// No table of a child's or a case's page scrolls sideways inside itself
	// either (the eight responsible people, the audit trail, the reads).
	for _, path := range []string{"/students/" + w.child, "/cases/" + id} {
		if err := chromedp.Do(ctx, chromedp.Navigate(w.n.URL()+path), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('main table')).filter(t => t.scrollWidth > t.clientWidth + 1).map(t => t.id || t.className)`))
		if err != nil {
			t.Fatal(err)
		}
		if len(wide) > 0 {
			t.Errorf("%s: tables %v scroll sideways on a phone", path, wide)
		}
	}
}

package node

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"baoxue/store"
)

// watchWorld is a bureau node with a class of 50 (S100, grade 3, class 1)
// and its head teacher, "banzhuren", who may write for that class only.
type watchWorld struct {
	n     *Node
	admin *client
	kids  []string // the class's children, in the order created
}

func newWatchWorld(t *testing.T) *watchWorld {
	t.Helper()
	w := &watchWorld{n: mustStart(t, testConfig(t, t.TempDir(), true))}
	w.admin = login(t, w.n, "admin", adminPassword)
	orgTree(w.admin)
	w.admin.must("POST", "/api/v1/users", map[string]string{"username": "banzhuren", "display_name": "梁老师", "role": "teacher",
		"line": "education", "scope": "class:S100/3/1", "password": adminPassword}, 201, nil)
	for i := 1; i <= 50; i++ {
		var out struct{ Student store.Student }
		w.admin.must("POST", "/api/v1/students", newChild(t, i, "S100", 3), 201, &out)
		w.kids = append(w.kids, out.Student.ID)
	}
	return w
}

// phone is a phone-sized window (375 × 667, touch), logged in as the head teacher.
func (w *watchWorld) phone(t *testing.T) context.Context {
	t.Helper()
	ctx := browser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(375, 667, chromedp.EmulatePortrait, chromedp.EmulateMobile),
		chromedp.Navigate(w.n.URL()+"/todo"),
		chromedp.WaitVisible(css(`#username`)),
		chromedp.SendKeys(css(`#username`), "banzhuren"),
		chromedp.SendKeys(css(`#password`), adminPassword),
		chromedp.Submit(css(`#password`)),
		chromedp.WaitVisible(css(`#todo-filter`)),
	)
	if err != nil {
		t.Fatalf("head teacher's login on a phone: %v", err)
	}
	return ctx
}

func rollCallURL(w *watchWorld, day string) string {
	return w.n.URL() + "/attendance?school=S100&grade=3&class=1&date=" + day
}

// tapRollCall opens the class's roll call of day, taps kind for each
// child named, saves, and waits for the page to say the day is recorded.
func tapRollCall(t *testing.T, ctx context.Context, w *watchWorld, day string, marks map[string]string) {
	t.Helper()
	acts := []chromedp.Action[chromedp.Void]{chromedp.Navigate(rollCallURL(w, day)), chromedp.WaitVisible(chromedp.CSS(`#rc-form`))}
	for id, kind := range marks {
		acts = append(acts, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#rc-%s label.rc-k.%s`, id, kind))))
	}
	acts = append(acts, chromedp.Click(chromedp.CSS(`#rc-submit`)), chromedp.WaitVisible(chromedp.CSS(`#rc-recorded`)))
	if err := chromedp.Do(ctx, acts...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("roll call of %s: %v (at %s)", day, err, loc)
	}
}

// TestBrowserRollCallOnAPhone: a head teacher fills in the roll call of a
// class of 50 on a 375 px phone: the page does not scroll sideways, each
// child's choices fit the width and are big enough to tap, four taps and
// the save record the day, and the page says so.
func TestBrowserRollCallOnAPhone(t *testing.T) {
	w := newWatchWorld(t)
	ctx := w.phone(t)
	day := schoolDaysBack(1)[0]
	if err := chromedp.Do(ctx, chromedp.Navigate(rollCallURL(w, day)), chromedp.WaitVisible(chromedp.CSS(`#rc-form`))); err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#rc-form fieldset.rc-row').length`))
	if err != nil || rows != 50 {
		t.Fatalf("the roll call lists %d children (%v), want the class's 50", rows, err)
	}
	over, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
	if over > 0 {
		t.Errorf("the roll call scrolls sideways by %d px on a 375 px phone", over)
	}
	// Every choice of every child is on the screen's width and at least
	// 32 px tall: a thumb can hit it without zooming.
	bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#rc-form label.rc-k')).filter(l => {
		const r = l.getBoundingClientRect(); return r.right > document.documentElement.clientWidth || r.left < 0 || r.height < 32
	}).map(l => l.closest('fieldset').id + ' ' + l.className)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("%d choices are off the screen or too small to tap, e.g. %v", len(bad), bad[:min(3, len(bad))])
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#rc-form label.rc-k').length`)); n != 4*50 {
		t.Errorf("%d choices on the form, want present, unexcused, excused and late for each of the 50", n)
	}
	start := time.Now()
	tapRollCall(t, ctx, w, day, map[string]string{w.kids[2]: store.AbsenceUnexcused, w.kids[17]: store.AbsenceExcused,
		w.kids[33]: store.AbsenceLate, w.kids[49]: store.AbsenceUnexcused})
	took := time.Since(start)
	var rc store.RollCallRecord
	w.admin.must("GET", "/api/v1/attendance/S100/3/1/"+day, nil, 200, &rc)
	got := map[string]string{}
	for _, a := range rc.Absent {
		got[a.StudentID] = a.Kind
	}
	if rc.Version != 1 || rc.By != "banzhuren" || len(got) != 4 || got[w.kids[2]] != store.AbsenceUnexcused ||
		got[w.kids[17]] != store.AbsenceExcused || got[w.kids[33]] != store.AbsenceLate || got[w.kids[49]] != store.AbsenceUnexcused {
		t.Errorf("recorded %+v, want version 1 by banzhuren with the four children tapped", rc)
	}
	if took > 30*time.Second {
		t.Errorf("four taps and the save took %v on the phone", took)
	}
}

// TestBrowserLadderToDropoutForm: a child absent unexcused three school days
// running climbs the ladder on the head teacher's phone: the contact owed,
// then the home visit, then the suspected ledger and the report owed,
// whose link leads to the dropout form; the report moves the child to the
// dropout ledger, where an entry made wrongly is cleared as an error with
// a note (销号), and shown so in the ledger's history.
func TestBrowserLadderToDropoutForm(t *testing.T) {
	w := newWatchWorld(t)
	ctx := w.phone(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	child := w.kids[5]
	todoRow := func(kind string) bool {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(w.n.URL()+"/todo"), chromedp.WaitVisible(css(`#todo-filter`))); err != nil {
			t.Fatal(err)
		}
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('tr.todo-`+kind+` a[href="/students/`+child+`"]').length`))
		if err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	days := schoolDaysBack(3)
	for i, d := range days {
		tapRollCall(t, ctx, w, d, map[string]string{child: store.AbsenceUnexcused})
		switch i {
		case 0:
			if !todoRow(store.TodoContact) || todoRow(store.TodoHomeVisit) {
				t.Errorf("after one day: want the contact owed and no home visit yet")
			}
		case 1:
			if !todoRow(store.TodoHomeVisit) || todoRow(store.TodoDropoutOwed) {
				t.Errorf("after two days: want the home visit and no report yet")
			}
		}
	}
	if !todoRow(store.TodoDropoutOwed) {
		t.Fatal("after three days the report is not owed on the to-do list")
	}
	err := chromedp.Do(ctx, chromedp.Navigate(w.n.URL()+"/ledgers/suspected"), chromedp.WaitVisible(css(`#ledger`)))
	led, _ := chromedp.Run(ctx, chromedp.Text(css(`tr[data-student="`+child+`"]`)))
	var page store.LedgerPage
	w.admin.must("GET", "/api/v1/ledgers/suspected", nil, 200, &page)
	if err != nil || page.Total != 1 || page.Items[0].StudentID != child || page.Items[0].Since != days[0] || page.Items[0].Days != 3 {
		t.Errorf("suspected ledger: %+v (page row %q, %v), want the child since %s for 3 days", page.Items, led, err, days[0])
	}
	// The report owed leads to the dropout form.
	err = chromedp.Do(ctx, chromedp.Navigate(w.n.URL()+"/todo"), chromedp.WaitVisible(css(`#todo-filter`)),
		chromedp.Click(css(`tr.todo-dropout_report a[href="/students/`+child+`/dropout"]`)),
		chromedp.WaitVisible(css(`#dropout-form`)),
		chromedp.SetValue(css(`#f-date`), days[2]),
		chromedp.SetValue(css(`#f-reason`), "poverty"),
		chromedp.Submit(css(`#f-reason`)),
		chromedp.WaitVisible(css(`#case-state`)),
	)
	if err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("from the report owed to the dropout form: %v (at %s)", err, loc)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	caseID := loc[strings.LastIndex(loc, "/")+1:]
	if !strings.HasPrefix(caseID, "C") {
		t.Fatalf("after the report the browser is at %s, want the case", loc)
	}
	// The report was wrong (the child was in hospital): cleared off the
	// dropout ledger as an error, with a note.
	const note = "误报：住院，家长已补请假条"
	err = chromedp.Do(ctx, chromedp.Navigate(w.n.URL()+"/ledgers/dropout"), chromedp.WaitVisible(css(`#row-`+caseID)),
		chromedp.Click(css(`#row-`+caseID+` details summary`)),
		chromedp.SetValue(css(`#clear-`+caseID+` select[name=reason]`), store.OutcomeError),
		chromedp.SendKeys(css(`#clear-`+caseID+` input[name=note]`), note),
		chromedp.Click(css(`#clear-`+caseID+` button`)),
		chromedp.WaitVisible(css(`#ledger-none`)),
		chromedp.Navigate(w.n.URL()+"/ledgers/dropout?history=1"), chromedp.WaitVisible(css(`#row-`+caseID)),
	)
	if err != nil {
		t.Fatalf("clearing the dropout entry: %v", err)
	}
	led, _ = chromedp.Run(ctx, chromedp.Text(css(`#row-`+caseID)))
	if !strings.Contains(led, "误报") || !strings.Contains(led, note) {
		t.Errorf("dropout ledger history: %q, want the clearance as an error with its note", led)
	}
	var st store.Student
	w.admin.must("GET", "/api/v1/students/"+child, nil, 200, &st)
	if st.Status != store.StatusEnrolled {
		t.Errorf("after the error was cleared the child is %s, want enrolled", st.Status)
	}
}

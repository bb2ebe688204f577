package synth

import (
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"baoxue/store"
)

// TestReportFiguresAgainstACount fills the reports of every reporting
// school of a demo register (children, status changes, cases with visits
// and legal steps, a term of roll calls) for four months, and checks each
// figure by grade and sex against a plain count over each child's status
// history, cases and ledger entries read one child at a time.
func TestReportFiguresAgainstACount(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Students = 6000
	d := mustGenerate(t, cfg)
	const today = "2026-11-27"
	db, _, apply := demoRegister(t, d, cfg.Seed, today)
	addEvents(t, db, apply)
	cal, err := db.Calendar()
	if err != nil {
		t.Fatal(err)
	}
	schools, _ := db.Schools("")
	reporter := store.Reporters(schools)
	type child struct {
		s       store.Student
		hist    []store.StatusChange
		cases   []store.Case
		entries []store.LedgerEntry
	}
	var kids []child
	for cursor := ""; ; {
		page, err := db.ListStudents(store.DistrictScope, store.Filter{Limit: store.MaxLimit, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Items {
			h, err1 := db.StatusHistory(store.DistrictScope, s.ID)
			cs, err2 := db.CasesOf(store.DistrictScope, s.ID)
			es, err3 := db.EntriesOf(store.DistrictScope, s.ID)
			if err1 != nil || err2 != nil || err3 != nil {
				t.Fatal(err1, err2, err3)
			}
			kids = append(kids, child{s, h, cs, es})
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	seen := map[string]int{} // measures found non-zero somewhere
	var months []string
	for m := "2025-09"; m <= "2026-12"; m = nextMonth(m) {
		months = append(months, m)
	}
	for _, month := range months {
		from, to, _ := store.ReportPeriod(&cal, month)
		to = min(to, today)
		in := func(d string) bool { return from <= d && d <= to }
		want := map[string]map[string][10][2]int{} // reporting school → measure → grade → all, girls
		add := func(school, m string, grade int, gender string) {
			r := reporter[school]
			if r == "" {
				return
			}
			if want[r] == nil {
				want[r] = map[string][10][2]int{}
			}
			c := want[r][m]
			c[grade][0]++
			if gender == "F" {
				c[grade][1]++
			}
			want[r][m] = c
		}
		for _, k := range kids {
			s := k.s
			status := s.Status
			if len(k.hist) > 0 {
				status = k.hist[0].From
			}
			for _, h := range k.hist {
				if h.Date > to {
					continue
				}
				status = h.To
				if !in(h.Date) {
					continue
				}
				switch {
				case h.Event == store.EventTransferIn:
					add(s.SchoolCode, store.MeasureTransferIn, s.Grade, s.Gender)
				case h.Event == store.EventResumption:
					add(s.SchoolCode, store.MeasureResumed, s.Grade, s.Gender)
				case h.To == store.StatusTransferredOut:
					add(s.SchoolCode, store.MeasureTransferOut, s.Grade, s.Gender)
				case h.To == store.StatusSuspended:
					add(s.SchoolCode, store.MeasureSuspended, s.Grade, s.Gender)
				}
			}
			if status == store.StatusEnrolled {
				add(s.SchoolCode, store.MeasureEnrolled, s.Grade, s.Gender)
				for _, f := range []string{store.FlagLeftBehind, store.FlagRegisteredPoor, store.FlagMigrant, store.FlagDisabled} {
					if s.HasFlag(f) {
						add(s.SchoolCode, "group."+f, s.Grade, s.Gender)
					}
				}
			}
			if p := s.Details.Placement; s.HasFlag(store.FlagDisabled) && (status == store.StatusEnrolled || status == store.StatusHomeTaught) &&
				p != "" && p != "medical_education" {
				add(s.SchoolCode, "placement."+p, s.Grade, s.Gender)
			}
			for _, c := range k.cases {
				if c.Date > to {
					continue
				}
				if in(c.Date) {
					add(c.SchoolCode, store.MeasureDropout, c.Grade, s.Gender)
					add(c.SchoolCode, store.MeasureDropout+"."+c.Reason, c.Grade, s.Gender)
				}
				if c.Outcome == store.OutcomeReturned && in(c.ClosedDate) {
					add(c.SchoolCode, store.MeasureReturned, c.Grade, s.Gender)
				}
				if c.ClosedDate == "" || c.ClosedDate > to {
					add(c.SchoolCode, store.MeasureStillOut, c.Grade, s.Gender)
				}
				for _, v := range c.Visits {
					if in(v.Date) {
						add(c.SchoolCode, store.MeasureVisits, c.Grade, s.Gender)
					}
				}
				for _, x := range c.Escalations {
					if in(x.Date) {
						add(c.SchoolCode, store.MeasureLegalSteps, c.Grade, s.Gender)
					}
				}
			}
			for _, e := range k.entries {
				if in(store.DateOf(e.EnteredAt).String()) {
					add(e.SchoolCode, store.MeasureSuspected, e.Grade, s.Gender)
				}
			}
		}
		sum, err := db.ReportSummary(store.DistrictScope, month, today)
		if err != nil {
			t.Fatal(err)
		}
		all, err := db.ReportFiguresAll(month, today)
		if err != nil {
			t.Fatal(err)
		}
		sumTotal := make([]store.Count, len(store.ReportMeasures))
		for _, sch := range schools {
			if reporter[sch.Code] != sch.Code {
				continue
			}
			f, err := db.ReportFigures(sch.Code, month, today)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(f, all[sch.Code]); d != "" {
				t.Errorf("%s %s: counted alone and with every school differ (-alone +all):\n%s", sch.Code, month, d)
			}
			if f.From != from || f.AsOf != to {
				t.Errorf("%s %s: period %s–%s, want %s–%s", sch.Code, month, f.From, f.AsOf, from, to)
			}
			for _, m := range store.ReportMeasures {
				w, row := want[sch.Code][m], f.Row(m)
				var tot [2]int
				for g := range 10 {
					tot[0] += w[g][0]
					tot[1] += w[g][1]
					j := slices.Index(f.Grades, g)
					if j < 0 {
						if g != 0 && w[g][0] != 0 {
							t.Errorf("%s %s %s: grade %d has %d children but is not on the form %v", sch.Code, month, m, g, w[g][0], f.Grades)
						}
						continue
					}
					if got := row.ByGrade[j]; got.All != w[g][0] || got.Female != w[g][1] {
						t.Errorf("%s %s %s grade %d: %d (%d girls), counted %d (%d)", sch.Code, month, m, g, got.All, got.Female, w[g][0], w[g][1])
					}
				}
				i := slices.Index(store.ReportMeasures, m)
				sumTotal[i].All += tot[0]
				sumTotal[i].Female += tot[1]
				if row.Total.All != tot[0] || row.Total.Female != tot[1] {
					t.Errorf("%s %s %s: total %d (%d girls), counted %d (%d)", sch.Code, month, m, row.Total.All, row.Total.Female, tot[0], tot[1])
				}
				if tot[0] > 0 {
					seen[m]++
				}
			}
		}
		// The district summary (no report submitted: all counted now) adds up the same.
		for i, m := range store.ReportMeasures {
			if sum.Total.Counts[i] != sumTotal[i] {
				t.Errorf("%s summary %s: %+v, the schools' counts add up to %+v", month, m, sum.Total.Counts[i], sumTotal[i])
			}
		}
	}
	// The test means something only if the demo has each kind of event.
	for _, m := range store.ReportMeasures {
		if seen[m] == 0 && m != "dropout.marriage" {
			t.Errorf("no report has any %s: the demo does not exercise it", m)
		}
	}
}

func nextMonth(m string) string {
	y, mo := 0, 0
	fmt.Sscanf(m, "%d-%d", &y, &mo)
	if mo == 12 {
		return fmt.Sprintf("%d-01", y+1)
	}
	return fmt.Sprintf("%d-%02d", y, mo+1)
}

// addEvents gives the demo register what its generator lacks in the months
// counted: a suspension and resumption, a transfer out and back in, a case
// for each remaining reason, one of them closed as returned.
func addEvents(t *testing.T, db *store.DB, apply func(user, kind string, p any) store.Result) {
	page, err := db.ListStudents(store.DistrictScope, store.Filter{Status: store.StatusEnrolled, Limit: 5})
	if err != nil || len(page.Items) < 5 {
		t.Fatalf("%d enrolled children (%v)", len(page.Items), err)
	}
	ids := make([]string, 5)
	for i, s := range page.Items {
		ids[i] = s.ID
	}
	must := func(kind string, p any) store.Result {
		t.Helper()
		r := apply("admin", kind, p)
		if !r.Applied() {
			t.Fatalf("%s: %s", kind, r.Reason)
		}
		return r
	}
	must(store.KindStudentStatus, store.StudentStatus{ID: ids[0], Status: store.StatusSuspended, Date: "2026-10-10", Reason: "病休", ExpectedReturn: "2026-11-05"})
	must(store.KindStudentStatus, store.StudentStatus{ID: ids[0], Status: store.StatusEnrolled, Date: "2026-11-05", Event: store.EventResumption})
	must(store.KindStudentStatus, store.StudentStatus{ID: ids[1], Status: store.StatusTransferredOut, Date: "2026-09-15", Destination: "柳州市第一中学"})
	must(store.KindStudentStatus, store.StudentStatus{ID: ids[1], Status: store.StatusEnrolled, Date: "2026-10-20", Event: store.EventTransferIn, Origin: "柳州市第一中学"})
	c := must(store.KindCaseReport, store.DropoutReport{StudentID: ids[2], Date: "2026-10-12", Reason: "illness"})
	must(store.KindCaseVisit, store.VisitRecord{CaseID: c.RecordID, Date: "2026-11-02", Visitors: []string{"韦老师"}, Line: store.LineEducation, Result: store.ResultReturned})
	must(store.KindCaseClose, store.CaseClose{CaseID: c.RecordID, Outcome: store.OutcomeReturned, Date: "2026-11-10"})
	must(store.KindCaseReport, store.DropoutReport{StudentID: ids[3], Date: "2026-11-12", Reason: "guardian_neglect"})
	must(store.KindCaseReport, store.DropoutReport{StudentID: ids[4], Date: "2026-09-20", Reason: "other", Note: "随父母外出"})
}

// TestDemoReportsAreDeterministic: the same seed and day give the same
// year of reports, with every kind of history in it.
func TestDemoReportsAreDeterministic(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Students = 3000
	d := mustGenerate(t, cfg)
	a, b := d.Reports(cfg.Seed, "2026-11-27"), d.Reports(cfg.Seed, "2026-11-27")
	if diff := cmp.Diff(a, b); diff != "" || len(a) == 0 {
		t.Fatalf("two runs differ (%d reports):\n%s", len(a), diff)
	}
	kinds := map[string]int{}
	for _, r := range a {
		var k string
		for _, s := range r.Steps {
			k += s.Action + ","
		}
		kinds[k]++
		if len(r.Steps) > 0 && r.Steps[0].Received != "" && r.Steps[0].Received[:7] < r.Month {
			t.Errorf("%s %s received before its month: %s", r.School, r.Month, r.Steps[0].Received)
		}
	}
	for _, k := range []string{"", "submit,", "submit,approve,", "submit,return,"} {
		if kinds[k] == 0 {
			t.Errorf("no demo report went %q: %v", k, kinds)
		}
	}
}

package store_test

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"testing"

	"baoxue/store"
)

// The benchmark registers' day (benchApplier's entries are of 1 November
// 2026, a Sunday) and its last ten school days (the default calendar:
// every weekday).
const benchToday = "2026-10-30"

var benchDays = []string{"2026-10-19", "2026-10-20", "2026-10-21", "2026-10-22", "2026-10-23",
	"2026-10-26", "2026-10-27", "2026-10-28", "2026-10-29", "2026-10-30"}

type benchClass struct {
	school       string
	grade, class int
	kids         []int // student numbers
}

// benchWatched: registers that have their roll calls (by size).
var benchWatched = map[int][]benchClass{}

// watchRegisterOf returns the register of n children with the roll calls
// of ten school days for every class: about 1 in 150 children absent
// unexcused and 1 in 100 excused on a day, and in every 200th class one
// child absent all ten days (the suspected ledger, tier 3).
func watchRegisterOf(b *testing.B, n int) (*benchRegister, []benchClass) {
	r := benchRegisterOf(b, n)
	benchMu.Lock()
	defer benchMu.Unlock()
	if cs, ok := benchWatched[n]; ok {
		return r, cs
	}
	byKey := map[string]int{}
	var classes []benchClass
	for i, s := range r.d.Students {
		if s.Status != store.StatusEnrolled || s.SchoolCode == "" {
			continue
		}
		k := store.ClassRef(s.SchoolCode, s.Grade, s.Class)
		j, ok := byKey[k]
		if !ok {
			j = len(classes)
			byKey[k] = j
			classes = append(classes, benchClass{school: s.SchoolCode, grade: s.Grade, class: s.Class})
		}
		classes[j].kids = append(classes[j].kids, i+1)
	}
	a := &benchApplier{b: b, db: r.db, idx: r.db.AppliedIndex()}
	for d, day := range benchDays {
		for ci, c := range classes {
			a.add(store.KindAttendance, benchRollCall(c, ci, d, day))
			if len(a.batch) == 1000 {
				a.flush()
			}
		}
	}
	a.flush()
	benchWatched[n] = classes
	return r, classes
}

func benchRollCall(c benchClass, ci, d int, day string) store.RollCall {
	p := store.RollCall{School: c.school, Grade: c.grade, Class: c.class, Date: day, Absent: []store.Absence{}}
	for k, id := range c.kids {
		h := (id*2654435761 + d*40503) % 300 // a fixed spread, no randomness
		switch {
		case k == 0 && ci%200 == 0:
			p.Absent = append(p.Absent, store.Absence{StudentID: fmt.Sprintf("S%d", id), Kind: store.AbsenceUnexcused})
		case h < 2:
			p.Absent = append(p.Absent, store.Absence{StudentID: fmt.Sprintf("S%d", id), Kind: store.AbsenceUnexcused,
				Contacted: &store.Contact{At: day, By: "班主任", How: "phone"}})
		case h < 5:
			p.Absent = append(p.Absent, store.Absence{StudentID: fmt.Sprintf("S%d", id), Kind: store.AbsenceExcused, Reason: "病假"})
		}
	}
	return p
}

// BenchmarkRollCall: one roll call of the largest class applied (a
// correction of the same day each time, 3 children absent), through
// ApplyBatch without fsync: the register's own cost.
func BenchmarkRollCall(b *testing.B) {
	r, classes := watchRegisterOf(b, 65_000)
	big := classes[0]
	for _, c := range classes {
		if len(c.kids) > len(big.kids) {
			big = c
		}
	}
	a := &benchApplier{b: b, db: r.db, idx: r.db.AppliedIndex()}
	p := store.RollCall{School: big.school, Grade: big.grade, Class: big.class, Date: "2026-10-16"}
	for _, id := range big.kids[:3] {
		p.Absent = append(p.Absent, store.Absence{StudentID: fmt.Sprintf("S%d", id), Kind: store.AbsenceUnexcused})
	}
	v := uint64(0)
	for b.Loop() {
		a.add(store.KindAttendance, p)
		a.batch[0].Command.Version = v
		a.flush()
		v++
	}
	b.ReportMetric(float64(len(big.kids)), "children")
}

// BenchmarkRiskList: the first page of the risk list of the whole
// district, and of one township.
func BenchmarkRiskList(b *testing.B) {
	for _, n := range []int{65_000, 1_000_000} {
		b.Run(fmt.Sprintf("students=%d", n), func(b *testing.B) {
			r, _ := watchRegisterOf(b, n)
			for _, c := range []struct {
				name string
				sc   store.Scope
			}{{"district", store.DistrictScope}, {"township", store.Scope{Kind: store.ScopeTownship, Code: r.d.Townships[1].Code}}} {
				b.Run(c.name, func(b *testing.B) {
					var total int
					for b.Loop() {
						_, t, err := r.db.RiskList(c.sc, store.RiskFilter{Limit: 50}, benchToday)
						if err != nil {
							b.Fatal(err)
						}
						total = t
					}
					b.ReportMetric(float64(total), "listed")
				})
			}
		})
	}
}

// BenchmarkLedgers: the first page and the totals of each ledger, the
// whole district.
func BenchmarkLedgers(b *testing.B) {
	for _, n := range []int{65_000, 1_000_000} {
		b.Run(fmt.Sprintf("students=%d", n), func(b *testing.B) {
			r, _ := watchRegisterOf(b, n)
			for _, name := range store.Ledgers {
				b.Run(name, func(b *testing.B) {
					var total int
					for b.Loop() {
						p, err := r.db.Ledger(store.DistrictScope, name, store.LedgerFilter{Date: benchToday, Limit: 50})
						if err != nil {
							b.Fatal(err)
						}
						total = p.Total
					}
					b.ReportMetric(float64(total), "rows")
				})
			}
		})
	}
}

// BenchmarkRollCallGrowth measures what roll calls add to the register
// (keys and values of every bucket, as Dump lists them: the roll call, its
// absences, result and audit entry), per roll call and for a school year of
// a district's: 2,000 classes × 190 school days. Run with -benchtime 1x.
func BenchmarkRollCallGrowth(b *testing.B) {
	r, classes := watchRegisterOf(b, 65_000)
	days := []string{"2026-10-05", "2026-10-06", "2026-10-07", "2026-10-08", "2026-10-09"}
	for b.Loop() {
		if days == nil {
			continue // measured once
		}
		before := registerBytes(b, r.db)
		a := &benchApplier{b: b, db: r.db, idx: r.db.AppliedIndex()}
		for d, day := range days {
			for ci, c := range classes {
				a.add(store.KindAttendance, benchRollCall(c, ci, d+20, day))
				if len(a.batch) == 1000 {
					a.flush()
				}
			}
		}
		a.flush()
		per := float64(registerBytes(b, r.db)-before) / float64(len(days)*len(classes))
		b.ReportMetric(per, "bytes/rollcall")
		b.ReportMetric(per*2000*190/1e6, "MB/year")
		days = nil // once
	}
}

// registerBytes sums the lengths of every key and value of the register.
func registerBytes(t testing.TB, db *store.DB) int {
	var buf bytes.Buffer
	if err := db.Dump(&buf); err != nil {
		t.Fatal(err)
	}
	n := 0
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "\t", 3)
		if len(parts) == 3 {
			n += len(parts[1])/2 + len(parts[2])
		}
	}
	return n
}

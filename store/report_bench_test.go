package store_test

import (
	"fmt"
	"slices"
	"testing"

	"baoxue/store"
)

// benchReported: registers that have their status changes (by size).
var benchReported = map[int]bool{}

// reportRegisterOf returns the register of n children with the
// generator's status changes applied (transfers, suspensions, dropouts,
// which open cases), those dated by the benchmark clock's day.
func reportRegisterOf(b *testing.B, n int) *benchRegister {
	r := benchRegisterOf(b, n)
	benchMu.Lock()
	defer benchMu.Unlock()
	if benchReported[n] {
		return r
	}
	a := &benchApplier{b: b, db: r.db, idx: r.db.AppliedIndex()}
	for _, sc := range r.d.StatusChanges {
		if sc.Change.Date > "2026-11-01" {
			continue
		}
		ch := sc.Change
		ch.ID = fmt.Sprintf("S%d", sc.StudentIndex+1)
		a.add(store.KindStudentStatus, ch)
		if len(a.batch) == 1000 {
			a.flush()
		}
	}
	a.flush()
	benchReported[n] = true
	return r
}

// reportingSchoolsBySize lists the reporting schools, the one covering
// the most children first.
func reportingSchoolsBySize(b *testing.B, r *benchRegister) []string {
	rep := store.Reporters(r.d.Schools)
	size := map[string]int{}
	for _, s := range r.d.Students {
		size[rep[s.SchoolCode]]++
	}
	var out []string
	for code, by := range rep {
		if code == by {
			out = append(out, code)
		}
	}
	slices.SortFunc(out, func(x, y string) int { return size[y] - size[x] })
	b.Logf("%d reporting schools; the largest covers %d children, the median %d", len(out), size[out[0]], size[out[len(out)/2]])
	return out
}

// BenchmarkReportFigures: one school's monthly report filled from the
// register — the largest central primary school's and a median school's.
func BenchmarkReportFigures(b *testing.B) {
	for _, n := range []int{65_000, 1_000_000} {
		for _, which := range []string{"largest", "median"} {
			b.Run(fmt.Sprintf("students=%d/%s", n, which), func(b *testing.B) {
				r := reportRegisterOf(b, n)
				schools := reportingSchoolsBySize(b, r)
				code := schools[0]
				if which == "median" {
					code = schools[len(schools)/2]
				}
				for b.Loop() {
					if _, err := r.db.ReportFigures(code, "2026-10", "2026-11-01"); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkReportSummary: the district summary of a month, every school
// counted from the register (none has submitted: the most work).
func BenchmarkReportSummary(b *testing.B) {
	for _, n := range []int{65_000, 1_000_000} {
		b.Run(fmt.Sprintf("students=%d", n), func(b *testing.B) {
			r := reportRegisterOf(b, n)
			for b.Loop() {
				s, err := r.db.ReportSummary(store.DistrictScope, "2026-10", "2026-11-01")
				if err != nil || s.Total.Schools == 0 {
					b.Fatal(s.Total, err)
				}
			}
		})
	}
}

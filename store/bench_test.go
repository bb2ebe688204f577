package store_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"baoxue/store"
	"baoxue/store/synth"
)

// Registers built once per size and shared by the benchmarks of a run.
var (
	benchMu  sync.Mutex
	benchDBs = map[int]*benchRegister{}
	benchDir string
)

type benchRegister struct {
	db *store.DB
	d  *synth.District
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, r := range benchDBs {
		r.db.Close()
	}
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchRegisterOf returns a register holding a synthetic district of n
// children, built through Apply in batches of 1000 (without fsync: this is
// set-up, not what is measured).
func benchRegisterOf(b *testing.B, n int) *benchRegister {
	benchMu.Lock()
	defer benchMu.Unlock()
	if r, ok := benchDBs[n]; ok {
		return r
	}
	if benchDir == "" {
		var err error
		if benchDir, err = os.MkdirTemp("", "baoxue-bench-"); err != nil {
			b.Fatal(err)
		}
	}
	cfg := synth.DefaultConfig()
	cfg.Students = n
	d, err := synth.Generate(cfg)
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(filepath.Join(benchDir, fmt.Sprintf("register-%d.db", n)), &store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	a := &benchApplier{b: b, db: db}
	a.org(d)
	a.createChildren(d.Students, 1000)
	b.Logf("built a register of %d children in %s", n, time.Since(start).Round(time.Millisecond))
	r := &benchRegister{db: db, d: d}
	benchDBs[n] = r
	return r
}

// benchApplier feeds a register commands in batches, as the Raft FSM does,
// and fails the benchmark on any rejection, so that no figure is measured
// on refused commands.
type benchApplier struct {
	b     testing.TB
	db    *store.DB
	idx   uint64
	batch []store.Entry
}

func (a *benchApplier) add(kind string, p any) {
	a.idx++
	b, err := json.Marshal(p)
	if err != nil {
		a.b.Fatal(err)
	}
	c := store.Command{ID: fmt.Sprintf("c%d", a.idx), Kind: kind, Actor: store.Actor{User: "admin", Node: "bench"}, Payload: b}
	a.batch = append(a.batch, store.Entry{Index: a.idx, Time: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Command: c})
}

func (a *benchApplier) flush() {
	rs, err := a.db.ApplyBatch(a.batch)
	if err != nil {
		a.b.Fatal(err)
	}
	for i, r := range rs {
		if !r.Applied() {
			a.b.Fatalf("%s rejected: %s", a.batch[i].Command.Kind, r.Reason)
		}
	}
	a.batch = a.batch[:0]
}

// org sets up the district, its admin and the org tree of d.
// createChildren applies a student.create for each of ss, in batches of per.
func (a *benchApplier) createChildren(ss []store.StudentFields, per int) {
	for _, s := range ss {
		a.add(store.KindStudentCreate, s)
		if len(a.batch) == per {
			a.flush()
		}
	}
	a.flush()
}

func (a *benchApplier) org(d *synth.District) {
	hash, _ := store.HashPassword("benchmark")
	a.add(store.KindDistrictInit, store.DistrictInit{District: d.District, Admin: store.User{Username: "admin", Role: store.RoleAdmin,
		Line: store.LineEducation, Scope: store.DistrictScope, PasswordHash: hash}})
	for _, t := range d.Townships {
		a.add(store.KindTownshipCreate, t)
	}
	a.flush()
	for _, v := range d.Villages {
		a.add(store.KindVillageCreate, v)
	}
	a.flush()
	for _, g := range d.Groups {
		a.add(store.KindGroupCreate, g)
	}
	for _, s := range d.Schools {
		a.add(store.KindSchoolCreate, s)
	}
	a.flush()
}

// BenchmarkListStudents: one 50-row page of a filtered list with its total,
// as the list page asks for it.
func BenchmarkListStudents(b *testing.B) {
	for _, n := range []int{65_000, 1_000_000} {
		b.Run(fmt.Sprintf("students=%d", n), func(b *testing.B) {
			r := benchRegisterOf(b, n)
			town := r.d.Townships[0].Code // 拉堡镇, half the district
			school := r.d.Schools[0].Code // a central primary school
			cases := []struct {
				name  string
				scope store.Scope
				f     store.Filter
			}{
				{"district-all", store.DistrictScope, store.Filter{}},
				{"township+grade", store.DistrictScope, store.Filter{Township: town, Grade: 7}},
				{"township-scope+flag", store.Scope{Kind: store.ScopeTownship, Code: town}, store.Filter{Flag: store.FlagLeftBehind}},
				{"school-scope+grade", store.Scope{Kind: store.ScopeSchool, Code: school}, store.Filter{Grade: 3}},
				{"status-rare", store.DistrictScope, store.Filter{Status: store.StatusNeverEnrolled}},
				{"township+status+flag", store.DistrictScope, store.Filter{Township: town, Status: store.StatusEnrolled, Flag: store.FlagMigrant}},
				{"name-search", store.DistrictScope, store.Filter{Q: "韦"}},
			}
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					c.f.Limit = 50
					var total int
					for b.Loop() {
						p, err := r.db.ListStudents(c.scope, c.f)
						if err != nil {
							b.Fatal(err)
						}
						total = p.Total
					}
					b.ReportMetric(float64(total), "matches")
				})
			}
		})
	}
}

// BenchmarkHouseholds: in the villager group with the most children, its
// households (a group's households page) and one household (a child's page).
func BenchmarkHouseholds(b *testing.B) {
	for _, n := range []int{65_000, 1_000_000} {
		b.Run(fmt.Sprintf("students=%d", n), func(b *testing.B) {
			r := benchRegisterOf(b, n)
			count := map[string]int{}
			group := ""
			for _, s := range r.d.Students {
				if count[s.GroupCode]++; count[s.GroupCode] > count[group] {
					group = s.GroupCode
				}
			}
			b.Run("group", func(b *testing.B) { // the households page
				var households int
				for b.Loop() {
					hs, err := r.db.Households(store.DistrictScope, group)
					if err != nil {
						b.Fatal(err)
					}
					households = len(hs)
				}
				b.ReportMetric(float64(count[group]), "children")
				b.ReportMetric(float64(households), "households")
			})
			b.Run("household", func(b *testing.B) { // a child's page: the others of its household
				var no string
				for _, s := range r.d.Students {
					if s.GroupCode == group && s.Household != "" {
						no = s.Household
						break
					}
				}
				for b.Loop() {
					if _, err := r.db.Household(store.DistrictScope, group, no); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkApplyBatch: children registered per second by the register alone
// (fsync on), in batches as the Raft FSM hands them over.
func BenchmarkApplyBatch(b *testing.B) {
	for _, size := range []int{1, 64, 512} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			cfg := synth.DefaultConfig()
			cfg.Students = 200_000
			d, err := synth.Generate(cfg)
			if err != nil {
				b.Fatal(err)
			}
			db, err := store.Open(filepath.Join(b.TempDir(), "register.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			a := &benchApplier{b: b, db: db}
			a.org(d)
			if b.N > len(d.Students) {
				b.Fatalf("b.N %d exceeds the %d children generated", b.N, len(d.Students))
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				a.add(store.KindStudentCreate, d.Students[i])
				if len(a.batch) == size {
					a.flush()
				}
			}
			a.flush()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commands/s")
		})
	}
}

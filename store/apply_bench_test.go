package store_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baoxue/store"
	"baoxue/store/cputime"
	"baoxue/store/synth"
)

// BenchmarkApplyCreates: the register's CPU per new child, as every node
// pays it for every write under etcd-compare's load (children as
// ../shared/bench/loadgen makes them: ID numbers in order, two guardians
// with long names, a flag, no household). Commands arrive as the
// group commit hands them over (sync/commit.go): batches of 24 (what the
// leader's transactions held under that load; 96 to see what a
// transaction itself costs), payloads already decoded
// (Entry.Decode runs on the FSM goroutine, apart from the register's), no
// fsync (the disk is not what is measured). One op is one command:
// ns/op, allocs/op and cpu-ns/op (user and system time of the process) are
// per command. Run with a fixed count so that every run applies the same
// commands to a register of the same size:
//
//	go test ./store -run '^$' -bench ApplyCreates -benchtime 20000x -count 6
func BenchmarkApplyCreates(b *testing.B) {
	for _, batch := range []int{24, 96} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) { benchApplyCreates(b, batch) })
	}
}

func benchApplyCreates(b *testing.B, batch int) {
	cfg := synth.DefaultConfig()
	cfg.Students = 100 // for the org tree
	d, err := synth.Generate(cfg)
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(filepath.Join(b.TempDir(), "register.db"), &store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a := &benchApplier{b: b, db: db}
	a.org(d)
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	es := make([]store.Entry, b.N)
	for i := range es {
		c, err := store.NewCommand(fmt.Sprintf("bench-%08d", i), store.Actor{User: "admin", Role: store.RoleAdmin, Node: "bench"},
			store.StudentCreate{StudentFields: loadgenChild(i, d.Villages[0].Code, d.Schools[0].Code)})
		if err != nil {
			b.Fatal(err)
		}
		es[i] = store.Entry{Index: a.idx + 1 + uint64(i), Time: at.Add(time.Duration(i) * time.Millisecond), Command: c}
		es[i].Decode()
	}
	cpu := cputime.Process()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		rs, err := db.ApplyBatch(es[i:min(i+batch, b.N)])
		if err != nil {
			b.Fatal(err)
		}
		for j, r := range rs {
			if !r.Applied() {
				b.Fatalf("child %d rejected: %s", i+j, r.Reason)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cputime.Process()-cpu)/float64(b.N), "cpu-ns/op")
}

// loadgenChild is the child ../shared/bench/loadgen sends as its i-th write.
func loadgenChild(i int, village, school string) store.StudentFields {
	seq, day, month, year := i%1000, 1+(i/1000)%28, 1+(i/28000)%12, 2010+(i/336000)%6
	first := fmt.Sprintf("450206%04d%02d%02d%03d", year, month, day, seq)
	c, err := store.IDCheckDigit(first)
	if err != nil {
		panic(err)
	}
	gender := "F"
	if seq%2 == 1 {
		gender = "M"
	}
	pad := strings.Repeat("备注", 60)
	return store.StudentFields{Name: fmt.Sprintf("学生%d", i), Gender: gender, IDNumber: first + string(c), Ethnicity: "汉族",
		VillageCode: village, SchoolCode: school, Grade: 1 + i%6, Class: 1, Status: store.StatusEnrolled, Flags: []string{"left_behind"},
		Guardians: []store.Guardian{{Name: "监护人甲" + pad[:60], Relation: "父亲", Phone: "13800000001"},
			{Name: "监护人乙" + pad[:60], Relation: "母亲", Phone: "13800000002"}}}
}

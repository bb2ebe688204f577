package synth

import (
	"context"
	"encoding/json"
	"reflect"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"baoxue/store"
)

// A planned district is the generated one without the children's records,
// and the records it makes again from the seed are the generated ones, in
// order: the demo loads a planned district and must load the same children.
func TestPlanMakesTheGeneratedChildren(t *testing.T) {
	cfg := Config{Seed: 7, Students: 20_000, Today: "2026-11-02"}
	want, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Plan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got.Students != nil || got.NumStudents() != len(want.Students) {
		t.Fatalf("planned: %d records held, %d children; want none held of %d", len(got.Students), got.NumStudents(), len(want.Students))
	}
	// What is read of the children without their records agrees.
	if a, b := got.Attendance(cfg.Seed, "2026-11-20"), want.Attendance(cfg.Seed, "2026-11-20"); !reflect.DeepEqual(a, b) {
		t.Errorf("roll calls of the planned district differ from the generated one's (%d, %d)", len(a), len(b))
	}
	sa, _ := got.SampleExport()
	sb, _ := want.SampleExport()
	if string(sa) != string(sb) || !reflect.DeepEqual(PovertySample(got), PovertySample(want)) {
		t.Error("the samples of the planned district differ from the generated one's")
	}
	for i, s := range got.Children() {
		if !reflect.DeepEqual(s, want.Students[i]) {
			t.Fatalf("child %d made again:\\n%+v\\nwant\\n%+v", i, s, want.Students[i])
		}
		got.Students = append(got.Students, s)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("the planned district, with its children made again, is not the generated district")
	}
	n := 0
	for range got.Children() { // from Students now; stopping early stops
		if n++; n == 10 {
			break
		}
	}
	got.Students = nil
	for range got.Children() { // made again; stopping early stops
		if n++; n == 20 {
			break
		}
	}
}

// Plan holds a few bytes a child, not the records (about 575 bytes each):
// the 1,000,000-child demo keeps its memory for the register.
func TestPlanHoldsNoRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 200,000 children")
	}
	const n = 200_000
	before := heapInUse()
	d, err := Plan(Config{Seed: 1, Students: n})
	if err != nil {
		t.Fatal(err)
	}
	grew := heapInUse() - before
	runtime.KeepAlive(d)
	t.Logf("a planned district of %d children holds %d KB", n, grew>>10)
	if grew > 40*n { // the columns are 7 bytes a child
		t.Errorf("a planned district of %d children holds %d MB: %d bytes a child", n, grew>>20, grew/n)
	}
}

func heapInUse() int {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int(m.HeapAlloc)
}

// recorder applies every command and keeps the children registered.
type recorder struct {
	mu       sync.Mutex
	children []store.StudentFields
	n        int
}

func (r *recorder) Submit(ctx context.Context, c store.Command) (store.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	res := store.Result{CommandID: c.ID, State: store.StateApplied, RecordID: "R" + strconv.Itoa(r.n)}
	if c.Kind == store.KindStudentCreate {
		var p store.StudentCreate
		if err := json.Unmarshal(c.Payload, &p); err != nil {
			return store.Result{}, err
		}
		r.children = append(r.children, p.StudentFields)
	}
	return res, nil
}

// Load of a planned district registers the generated children, each once.
func TestLoadStreamsThePlannedChildren(t *testing.T) {
	cfg := Config{Seed: 3, Students: 3_000}
	want, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Plan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	if err := Load(context.Background(), rec, "n1", d, cfg.Seed, "demo-Password-1", nil); err != nil {
		t.Fatal(err)
	}
	if len(rec.children) != len(want.Students) {
		t.Fatalf("%d children registered, want %d", len(rec.children), len(want.Students))
	}
	seen := map[string]store.StudentFields{}
	for _, s := range rec.children {
		seen[s.IDNumber] = s
	}
	for i, s := range want.Students {
		got, ok := seen[s.IDNumber]
		if !ok || got.Name != s.Name || got.SchoolCode != s.SchoolCode || got.Class != s.Class || len(got.Guardians) != len(s.Guardians) {
			t.Fatalf("child %d (%s) registered as %+v, want %+v", i, s.Name, got, s)
		}
	}
}

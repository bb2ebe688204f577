package synth

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"baoxue/store"
)

// direct applies commands straight to a register, one index after another.
type direct struct {
	mu sync.Mutex
	db *store.DB
}

func (d *direct) Submit(_ context.Context, c store.Command) (store.Result, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.db.Apply(store.Entry{Index: d.db.AppliedIndex() + 1, Time: directAt, Command: c})
}

// directAt is when direct applies every command: a district loaded through
// it is planned for that day (Config.Today), or its roll calls up to the
// real today would lie in the register's future once the clock passes it.
var directAt = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)

// sheetRows turns a sample's rows into import rows by its headers, as the
// import pipeline does.
func sheetRows(t *testing.T, kind string, rows [][]string) (*store.ImportKind, []store.ImportRow) {
	k, ok := store.ImportKindNamed(kind)
	if !ok {
		t.Fatalf("no import kind %s", kind)
	}
	var out []store.ImportRow
	for i, r := range rows[1:] {
		ir := store.ImportRow{Row: i + 2, Cells: map[string]string{}}
		for j, h := range rows[0] {
			if key := k.ColumnFor(h); key != "" && r[j] != "" {
				ir.Cells[key] = r[j]
			}
		}
		out = append(out, ir)
	}
	return k, out
}

// importAll classifies rows as admin, applies the new and changed ones, and
// counts the classes.
func importAll(t *testing.T, sub *direct, k *store.ImportKind, rows []store.ImportRow) map[string]int {
	admin, err := sub.db.User("admin")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := k.Classify(sub.db, admin, "2026-12-01", rows)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	var acc []store.ImportRow
	var accC []store.RowClass
	for i, c := range cs {
		n[c.Class]++
		if c.Class == store.RowNew || c.Class == store.RowChanges {
			acc, accC = append(acc, rows[i]), append(accC, c)
		}
	}
	for lo := 0; lo < len(acc); lo += k.BatchSize {
		hi := min(lo+k.BatchSize, len(acc))
		p := k.Batch("sample", acc[lo:hi], accC[lo:hi])
		cmd, _ := store.NewCommand("import-"+k.Name+"-"+string(rune('a'+lo/k.BatchSize)), store.Actor{User: "admin", Role: store.RoleAdmin, Node: "n1"}, p)
		if r, err := sub.Submit(context.Background(), cmd); err != nil || !r.Applied() || len(r.Rows) > 0 {
			t.Fatalf("batch: %+v, %v", r, err)
		}
	}
	return n
}

// TestSamples: the demo's poverty list, imported into the district it was
// made from, gives every kind of mismatch and exactly its four bad rows;
// the aid list imports without an error and leaves one child in five with
// no aid this term.
func TestSamples(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Students = 3000
	cfg.Today = directAt.In(store.ChinaTime).Format(time.DateOnly)
	d := mustGenerate(t, cfg)
	db, err := store.Open(filepath.Join(t.TempDir(), "register.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sub := &direct{db: db}
	hash, _ := store.HashPassword("demo-password-1")
	init, _ := store.NewCommand("init", store.Actor{User: "admin", Role: store.RoleAdmin, Node: "n1"}, store.DistrictInit{District: d.District,
		Admin: store.User{Username: "admin", Role: store.RoleAdmin, Line: store.LineEducation, Scope: store.DistrictScope, PasswordHash: hash}})
	if r, err := sub.Submit(context.Background(), init); err != nil || !r.Applied() {
		t.Fatalf("district.init: %+v %v", r, err)
	}
	if err := Load(context.Background(), sub, "n1", d, cfg.Seed, "demo-password-1", nil); err != nil {
		t.Fatal(err)
	}
	sample := PovertySample(d)
	k, rows := sheetRows(t, store.ImportPoverty, sample)
	n := importAll(t, sub, k, rows)
	if n[store.RowError] != 4 || n[store.RowNew] != len(rows)-4 {
		t.Errorf("poverty sample classes: %v of %d rows; want 4 errors, the rest new", n, len(rows))
	}
	pc, err := db.PovertyReconcile(store.DistrictScope)
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]int{}
	for _, it := range pc.Differs {
		for _, f := range it.Fields {
			fields[f]++
		}
	}
	if len(pc.TheirsOnly) != 5 || len(pc.OursOnly) == 0 || fields["name"] == 0 || fields["school"] == 0 || fields["household"] == 0 || len(pc.Matched) < 5*len(pc.Differs) {
		t.Errorf("reconciliation of the sample: %d matched, %d theirs only, %d ours only, differs %v", len(pc.Matched), len(pc.TheirsOnly), len(pc.OursOnly), fields)
	}
	if again := importAll(t, sub, k, rows); again[store.RowUnchanged] != len(rows)-4 {
		t.Errorf("the same list again: %v", again)
	}

	k, rows = sheetRows(t, store.ImportAid, AidSample(d, "2026-2027-1", "2026-10-15"))
	if n := importAll(t, sub, k, rows); n[store.RowError] != 0 || n[store.RowNew] != len(rows) {
		t.Errorf("aid sample classes: %v of %d rows", n, len(rows))
	}
	p, err := db.CareRegister(store.DistrictScope, store.CarePovertyRegister, store.CareFilter{Limit: 1}, "2026-12-01")
	if err != nil {
		t.Fatal(err)
	}
	if p.NoAid == 0 || p.NoAid > p.Total/3 {
		t.Errorf("after the aid sample: %d of %d registered-poor children with no aid", p.NoAid, p.Total)
	}
}

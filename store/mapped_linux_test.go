package store_test

import (
	"path/filepath"
	"testing"
	"time"

	"baoxue/store"
	"baoxue/store/synth"
)

// TestDropMappedPages: after a load has mapped the register in, dropping
// its pages gives most of them back, and every child still reads the same.
func TestDropMappedPages(t *testing.T) {
	cfg := synth.DefaultConfig()
	cfg.Students = 12_000
	d, db, path := loadedRegister(t, cfg)
	// Map every page in: a full read of every child, twice over.
	page := func() store.Page {
		p, err := db.ListStudents(store.DistrictScope, store.Filter{Limit: store.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	db.Dump(discard{})
	before, first := store.ResidentFile(t), page()
	if err := db.DropMappedPages(); err != nil {
		t.Fatal(err)
	}
	after := store.ResidentFile(t)
	size := fileSize(t, path)
	t.Logf("RssFile %d → %d MB, register %d MB", before>>20, after>>20, size>>20)
	if before-after < size/2 {
		t.Errorf("dropping the register's pages gave back %d of %d MB", (before-after)>>20, size>>20)
	}
	if again := page(); len(again.Items) != len(first.Items) || again.Items[0].Name != first.Items[0].Name || again.Total != len(d.Students) {
		t.Errorf("after dropping the pages the list reads %d children, want the %d it read", again.Total, first.Total)
	}
}

// loadedRegister is a register file holding cfg's district, its children
// applied in batches of 500; closed when the test ends.
func loadedRegister(t *testing.T, cfg synth.Config) (*synth.District, *store.DB, string) {
	d, err := synth.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "register.db")
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a := &benchApplier{b: t, db: db}
	a.org(d)
	a.createChildren(d.Students, 500)
	return d, db, path
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestKeepMappedPagesUnder: while the keeper runs, reading the whole
// register again and again keeps at most the budget (and what one look's
// interval reads) of it resident; without it, all of it.
func TestKeepMappedPagesUnder(t *testing.T) {
	cfg := synth.DefaultConfig()
	cfg.Students = 30_000
	_, db, path := loadedRegister(t, cfg)
	size := fileSize(t, path)
	readAll := func() int64 { // the largest rise of RssFile over three full reads
		if err := db.DropMappedPages(); err != nil {
			t.Fatal(err)
		}
		base, peak := store.ResidentFile(t), int64(0)
		for range 3 {
			db.Dump(discard{})
			peak = max(peak, store.ResidentFile(t)-base)
		}
		return peak
	}
	kept := readAll()
	budget := store.ResidentFile(t) - kept + 2<<20 // what is resident besides the register, and 2 MB of it
	stop := db.KeepMappedPagesUnder(budget, time.Millisecond)
	held := readAll()
	stop()
	t.Logf("register %d MB: a full read keeps %d MB resident, %d MB under the keeper", size>>20, kept>>20, held>>20)
	if kept < size/2 {
		t.Skipf("a full read mapped in only %d of %d MB: nothing to measure here", kept>>20, size>>20)
	}
	if held > kept/2 {
		t.Errorf("under the keeper a full read kept %d MB of the %d MB register resident (%d MB without)", held>>20, size>>20, kept>>20)
	}
}

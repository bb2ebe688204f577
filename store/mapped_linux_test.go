package store_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"baoxue/store"
	"baoxue/store/synth"
)

// rssFile is this process's resident file-backed memory, in bytes.
func rssFile(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "RssFile:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Skip("no RssFile")
	return 0
}

// TestDropMappedPages: after a load has mapped the register in, dropping
// its pages gives most of them back, and every child still reads the same.
func TestDropMappedPages(t *testing.T) {
	cfg := synth.DefaultConfig()
	cfg.Students = 12_000
	d, err := synth.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "register.db")
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := &benchApplier{b: t, db: db}
	a.org(d)
	for _, s := range d.Students {
		a.add(store.KindStudentCreate, s)
		if len(a.batch) == 500 {
			a.flush()
		}
	}
	a.flush()
	// Map every page in: a full read of every child, twice over.
	page := func() store.Page {
		p, err := db.ListStudents(store.DistrictScope, store.Filter{Limit: store.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	db.Dump(discard{})
	before, first := rssFile(t), page()
	if err := db.DropMappedPages(); err != nil {
		t.Fatal(err)
	}
	after := rssFile(t)
	size := fileSize(t, path)
	t.Logf("RssFile %d → %d MB, register %d MB", before>>20, after>>20, size>>20)
	if before-after < size/2 {
		t.Errorf("dropping the register's pages gave back %d of %d MB", (before-after)>>20, size>>20)
	}
	if again := page(); len(again.Items) != len(first.Items) || again.Items[0].Name != first.Items[0].Name || again.Total != len(d.Students) {
		t.Errorf("after dropping the pages the list reads %d children, want the %d it read", again.Total, first.Total)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

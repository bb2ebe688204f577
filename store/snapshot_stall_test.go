package store_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"baoxue/store"
	"baoxue/store/synth"
)

// slowWriter takes a snapshot's bytes slowly, as a busy disk or a gzip
// stream on a loaded CPU does, holding its read transaction open.
type slowWriter struct{ delay time.Duration }

func (w slowWriter) Write(p []byte) (int, error) { time.Sleep(w.delay); return len(p), nil }

// TestSnapshotDoesNotStallWrites: while a snapshot's read transaction is
// open for the whole load, no batch waits on it and the file grows by the
// pages the writes themselves need, not by rewritten bookkeeping.
func TestSnapshotDoesNotStallWrites(t *testing.T) {
	cfg := synth.DefaultConfig()
	cfg.Students = 24_000
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
	half := len(d.Students) / 2
	a.createChildren(d.Students[:half], 64)
	before := fileSize(t, path)

	snap, err := db.BeginSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		if _, err := snap.WriteTo(slowWriter{delay: time.Millisecond}); err != nil {
			t.Error(err)
		}
		done <- time.Since(start)
	}()
	var worst time.Duration
	for _, s := range d.Students[half:] {
		a.add(store.KindStudentCreate, s)
		if len(a.batch) == 64 {
			start := time.Now()
			a.flush()
			worst = max(worst, time.Since(start))
		}
	}
	a.flush()
	grown := fileSize(t, path) - before
	took := <-done
	snap.Close()
	t.Logf("file %d → %d MB, worst batch %s, snapshot %s (read transaction %s)", before>>20, (before+grown)>>20, worst, took, snap.Held())
	if snap.Held() > took/2 {
		t.Errorf("the snapshot held its read transaction %s of the %s it took to send; want only while it copies the file", snap.Held(), took)
	}
	// The old design held the read transaction while the copy went out:
	// the same load grew this file from 32 to 146 MB.
	if after := before + grown; after > before*5/2 {
		t.Errorf("the register grew from %d to %d MB under a snapshot; want at most 2.5×", before>>20, after>>20)
	}
	if worst > time.Second {
		t.Errorf("a batch of 64 waited %s while a snapshot was open; want < 1s", worst)
	}
}

func fileSize(t *testing.T, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

package store

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// residentFile is this process's resident file-backed memory in bytes,
// as KeepMappedPagesUnder reads it (residentShared).
func residentFile(t *testing.T) int64 {
	r, ok := residentShared()
	if !ok {
		t.Skip("no /proc/self/statm")
	}
	return r
}

// peakResidentFile runs fn and returns by how much RssFile rose above where
// it was at the start, at most, sampled every millisecond.
func peakResidentFile(t *testing.T, fn func()) int64 {
	base := residentFile(t)
	var peak atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if r := residentFile(t) - base; r > peak.Load() {
				peak.Store(r)
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak.Load()
}

// A snapshot's compaction reads every page of its scratch copy through
// bbolt's mapping; the pages it has read leave the resident set as it goes,
// so the 1,000,000-child demo does not count a second register (1.2 GB) as
// its memory while a snapshot is written.
func TestCompactionDropsTheSourcePages(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "raw")
	b, err := bolt.Open(src, 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	val := make([]byte, 300)
	for range 12 { // ~100 MB of pages, keys in random order: partly empty pages, as a register's indexes
		if err := b.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			for range 12_000 {
				k := binary.BigEndian.AppendUint64(nil, r.Uint64())
				if err := bk.Put(k, val); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	size := fi.Size()
	compact := func(every time.Duration) int64 {
		defer func(d time.Duration) { compactDropEvery = d }(compactDropEvery)
		compactDropEvery = every
		dst := filepath.Join(dir, "dense")
		os.WriteFile(dst, nil, 0o600)
		return peakResidentFile(t, func() {
			if err := compactFile(src, dst, time.Second); err != nil {
				t.Fatal(err)
			}
		})
	}
	kept := compact(time.Hour) // nothing dropped: the whole source is mapped in by the end
	dropped := compact(time.Millisecond)
	t.Logf("source %d MB; resident file pages rose by %d MB kept, %d MB dropped", size>>20, kept>>20, dropped>>20)
	if kept < size/2 {
		t.Skipf("reading the source mapped in only %d of its %d MB: nothing to measure here", kept>>20, size>>20)
	}
	if dropped > size/3 {
		t.Errorf("compacting a %d MB copy kept up to %d MB of it resident, want under a third", size>>20, dropped>>20)
	}
}

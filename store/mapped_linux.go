package store

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DropMappedPages takes the register's file pages out of this process's
// resident set (madvise MADV_DONTNEED on bbolt's read-only, shared mapping
// of the file). They stay in the page cache, and a read maps back what it
// touches; nothing changes for readers or the writer, which writes through
// the file. After a bulk load every page has been mapped in once (the 1,000,000-child
// demo: the whole 1.5 GB register counted as the node's memory) though a
// serving node reads few of them again. It holds a read transaction while
// it runs, so the mapping cannot move under it (bbolt remaps only when no
// read transaction is open).
func (db *DB) DropMappedPages() error {
	return db.view(func(tx *bolt.Tx) error {
		return dropMapping(tx.DB(), tx.Size())
	})
}

// KeepMappedPagesUnder drops the register's mapped pages (DropMappedPages)
// whenever this process's resident file-backed memory is over budget
// bytes, looking every interval, until stop is called. A bulk load reads
// pages all over the register's indexes, at up to hundreds of MB a
// second, and each stays resident until dropped: the 1,000,000-child demo
// counted its whole growing register.db as its memory. Dropping only what
// is over the budget keeps the pages a steady load reads again and again
// mapped when it reads few others.
func (db *DB) KeepMappedPagesUnder(budget int64, interval time.Duration) (stop func()) {
	return every(interval, func() {
		if r, ok := residentShared(); ok && r > budget {
			db.DropMappedPages() // a closed register has no pages to drop
		}
	})
}

// residentShared is this process's resident file-backed (and shared)
// memory in bytes: the third field of /proc/self/statm, in pages.
func residentShared() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return 0, false
	}
	pages, err := strconv.ParseInt(string(f[2]), 10, 64)
	return pages * int64(os.Getpagesize()), err == nil
}

// every calls fn every interval, from one goroutine, until stop is called;
// stop returns once fn has returned.
func every(interval time.Duration, fn func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fn()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// dropMapping drops the first size bytes of b's mapping from the resident
// set. The caller makes sure the mapping stays where it is meanwhile.
func dropMapping(b *bolt.DB, size int64) error {
	info := b.Info()
	ps := int64(os.Getpagesize())
	size = (size + ps - 1) / ps * ps
	// Addresses are passed as they are: no Go pointer is made of the mapping.
	if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, info.Data, uintptr(size), syscall.MADV_DONTNEED); errno != 0 {
		return errno
	}
	return nil
}

// dropWhileReading drops the mapped pages of b, a database opened read-only
// (its mapping never moves) of size bytes, every interval until the
// returned stop is called: a compaction reads every page of its source
// once, and without this all of them stay resident until it ends (the
// 1,000,000-child demo's snapshot: a 1.2 GB copy). stop must be called
// before b is closed.
func dropWhileReading(b *bolt.DB, size int64, interval time.Duration) (stop func()) {
	return every(interval, func() { dropMapping(b, size) })
}

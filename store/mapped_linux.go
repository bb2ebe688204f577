package store

import (
	"os"
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
				dropMapping(b, size)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

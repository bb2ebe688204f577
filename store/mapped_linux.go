package store

import (
	"os"
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// DropMappedPages takes the register's file pages out of this process's
// resident set (madvise MADV_DONTNEED on bbolt's read-only, shared mapping
// of the file). They stay in the page cache, and a read maps back what it
// touches; nothing changes for readers or the writer, which writes through
// the file. After a bulk load every page has been mapped in once (the 1,000,000-child
// demo: the whole 1.5 GB register counted as the node's memory) though a
// serving node reads few of them again.
func (db *DB) DropMappedPages() error {
	return db.view(func(tx *bolt.Tx) error {
		info := tx.DB().Info()
		ps := int64(os.Getpagesize())
		size := (tx.Size() + ps - 1) / ps * ps
		// Addresses are passed as they are: no Go pointer is made of the mapping.
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, info.Data, uintptr(size), syscall.MADV_DONTNEED); errno != 0 {
			return errno
		}
		return nil
	})
}

//go:build !linux

package store

// DropMappedPages does nothing here: it is for Linux's accounting of a
// mapped file (mapped_linux.go).
func (db *DB) DropMappedPages() error { return nil }

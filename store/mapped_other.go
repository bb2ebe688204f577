//go:build !linux

package store

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// DropMappedPages does nothing here: it is for Linux's accounting of a
// mapped file (mapped_linux.go).
func (db *DB) DropMappedPages() error { return nil }

// dropWhileReading does nothing here (mapped_linux.go).
func dropWhileReading(*bolt.DB, int64, time.Duration) (stop func()) { return func() {} }

// KeepMappedPagesUnder does nothing here (mapped_linux.go).
func (db *DB) KeepMappedPagesUnder(int64, time.Duration) (stop func()) { return func() {} }

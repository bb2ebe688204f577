package store

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Snapshot is a consistent, point-in-time view of the register, held open as
// a read transaction until WriteTo has copied it or Close. Commands may be
// applied meanwhile.
//
// A read transaction keeps bbolt from reusing any page freed after it
// began: every page a commit copies on write lands at the end of the file.
// Held for the minutes a large register takes to compress and send, that
// grew the 1,000,000-child demo's register from 1.8 to 3.05 GB. So WriteTo
// holds it only while it copies the file to a scratch file beside the
// register (a sequential read of the file, the fastest copy there is), ends
// it, and compacts, and streams, the copy (DESIGN.md, invariant 10).
type Snapshot struct {
	db    *DB
	tx    *bolt.Tx
	index uint64
	begun time.Time
	held  time.Duration // how long the read transaction was open
}

// BeginSnapshot opens a snapshot. It returns quickly; the copy is made by
// WriteTo. The caller must Close it.
func (db *DB) BeginSnapshot() (*Snapshot, error) {
	db.Settle()
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return nil, ErrClosed
	}
	tx, err := db.bolt.Begin(false)
	if err != nil {
		return nil, fmt.Errorf("begin snapshot: %w", err)
	}
	return &Snapshot{db: db, tx: tx, index: getU64(tx.Bucket(bucketMeta), keyAppliedIndex), begun: time.Now()}, nil
}

// Index is the applied index the snapshot holds.
func (s *Snapshot) Index() uint64 { return s.index }

// WriteTo writes the register as of the snapshot as a compacted bbolt file
// (every page packed full, no free pages) and ends the read transaction as
// soon as the file is copied. It can be called once.
func (s *Snapshot) WriteTo(w io.Writer) (int64, error) {
	if s.tx == nil {
		return 0, fmt.Errorf("snapshot: already written or closed")
	}
	dir := filepath.Dir(s.db.path)
	raw, err := scratchFile(dir, rawScratchPattern)
	if err != nil {
		s.Close()
		return 0, err
	}
	defer removeIfExists(raw)
	err = copyTx(s.tx, raw)
	s.Close() // from here on writers reuse pages again
	if err != nil {
		return 0, fmt.Errorf("snapshot: copy register: %w", err)
	}
	dense, err := scratchFile(dir, scratchPattern)
	if err != nil {
		return 0, err
	}
	defer removeIfExists(dense)
	if err := compactFile(raw, dense, s.db.opt.Timeout); err != nil {
		return 0, fmt.Errorf("snapshot: compact: %w", err)
	}
	removeIfExists(raw)
	f, err := os.Open(dense)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.Copy(w, f)
}

// Close ends the snapshot's read transaction, if WriteTo has not.
func (s *Snapshot) Close() error {
	if s.tx == nil {
		return nil
	}
	tx := s.tx
	s.tx, s.held = nil, time.Since(s.begun)
	return tx.Rollback()
}

// Held is how long the snapshot held its read transaction (once closed).
func (s *Snapshot) Held() time.Duration { return s.held }

// Scratch files of a snapshot (in the register's directory) are named so.
const scratchPattern, rawScratchPattern = ".snapshot-*", ".snapshot-raw-*"

// removeScratch removes the scratch files of snapshots a crash cut short.
// Open calls it, before anything can take a snapshot.
func removeScratch(dir string) {
	for _, p := range []string{scratchPattern, rawScratchPattern} {
		names, _ := filepath.Glob(filepath.Join(dir, p))
		for _, n := range names {
			removeIfExists(n)
		}
	}
}

// scratchFile names a new, empty file in dir for a snapshot's copies.
func scratchFile(dir, pattern string) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", fmt.Errorf("snapshot: scratch file: %w", err)
	}
	name := f.Name()
	return name, f.Close()
}

// copyTx writes the file as tx sees it to path, without syncing it: the
// copy is scratch, and a crash loses nothing but this snapshot.
func copyTx(tx *bolt.Tx, path string) error {
	f, err := os.OpenFile(path, os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if _, err := tx.WriteTo(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// compactDropEvery is how often a compaction drops the pages of its source
// it has mapped in (a variable for the tests). Walking an index bucket it
// reads pages at up to 1 GB/s; at 100 ms the 1,000,000-child register's
// snapshot still had up to 160 MB of its copy mapped. A madvise over a
// mapping with few pages resident costs microseconds.
var compactDropEvery = 10 * time.Millisecond

// compactTxSize bounds the keys and values a compaction copies in one
// transaction of the new file. Until that transaction commits its nodes
// point into the source's mapping, and the commit reads them all again:
// 64 MB brought back up to 64 MB of dropped pages (more, pages half full)
// at each commit.
const compactTxSize = 4 << 20

// compactFile rewrites the bbolt file src into dst with every bucket's pages
// packed full (bbolt's Compact), dropping free pages and the half-empty
// pages of buckets written in random key order.
func compactFile(src, dst string, timeout time.Duration) error {
	s, err := bolt.Open(src, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := os.Remove(dst); err != nil {
		return err
	}
	d, err := bolt.Open(dst, 0o600, &bolt.Options{NoSync: true, NoFreelistSync: true, Timeout: timeout})
	if err != nil {
		return err
	}
	// The compaction reads the whole source through its mapping: pages it
	// has read leave the resident set as it goes (mapped_linux.go).
	var size int64
	if fi, err := os.Stat(src); err == nil {
		size = fi.Size()
	}
	stop := dropWhileReading(s, size, compactDropEvery)
	err = bolt.Compact(d, s, compactTxSize)
	stop()
	if err != nil {
		d.Close()
		return err
	}
	return d.Close()
}

// Restore replaces the register with the bbolt file read from r (as written
// by Snapshot.WriteTo), atomically: the new file is written beside the old,
// checked, synced and renamed over it, then reopened and re-indexed. On error
// the register is unchanged.
func (db *DB) Restore(r io.Reader) error {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	tmp := db.path + ".restore"
	if err := writeFileSync(tmp, r); err != nil {
		removeIfExists(tmp)
		return fmt.Errorf("restore: write %s: %w", tmp, err)
	}
	if err := checkRegisterFile(tmp, db.opt.Timeout); err != nil {
		removeIfExists(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		removeIfExists(tmp)
		return ErrClosed
	}
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("restore: close register: %w", err)
	}
	if err := os.Rename(tmp, db.path); err != nil {
		// Reopen the old file so the node keeps its register.
		if oerr := db.open(); oerr != nil {
			db.closed = true
		}
		return fmt.Errorf("restore: rename: %w", err)
	}
	syncDir(filepath.Dir(db.path))
	if err := db.open(); err != nil {
		db.closed = true
		return fmt.Errorf("restore: reopen: %w", err)
	}
	return nil
}

func writeFileSync(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// checkRegisterFile opens a bbolt file read-only and checks that it is a
// register this program can read: bbolt's consistency check passes, the
// meta bucket exists and its schema is not newer than ours.
func checkRegisterFile(path string, timeout time.Duration) error {
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return fmt.Errorf("not a bbolt file: %w", err)
	}
	defer b.Close()
	return b.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return fmt.Errorf("not a register: no meta bucket")
		}
		// A newer release's layout is refused before it replaces ours.
		if v := getU64(meta, keySchemaVersion); v > schemaVersion() {
			return fmt.Errorf("%w: register schema %d, this program knows up to %d", ErrNewerSchema, v, schemaVersion())
		}
		var first error
		for err := range tx.Check() { // drain: the checker goroutine sends every error
			if first == nil {
				first = fmt.Errorf("damaged: %w", err)
			}
		}
		return first
	})
}

// Dump writes every bucket, key and value in order, one line each. Two
// registers that applied the same log dump identically; tests compare dumps.
func (db *DB) Dump(w io.Writer) error {
	return db.view(func(tx *bolt.Tx) error {
		bw := bufio.NewWriter(w)
		for _, name := range allBuckets {
			b := tx.Bucket(name)
			if b == nil {
				continue
			}
			if err := b.ForEach(func(k, v []byte) error {
				_, err := fmt.Fprintf(bw, "%s\t%s\t%s\n", name, hex.EncodeToString(k), v)
				return err
			}); err != nil {
				return err
			}
		}
		return bw.Flush()
	})
}

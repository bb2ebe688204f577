package sync

import (
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hashicorp/raft"

	"baoxue/store"
)

// A snapshot is a gzip stream of a consistent copy of register.db (a bbolt
// file written from one read transaction). The gzip header's extra field
// carries the register's applied index, so that a node can tell at start-up
// whether its register is behind its newest snapshot without unpacking it.
// Raft's own snapshot index is no substitute: it counts no-op and
// configuration entries, which do not advance the register.

// extraID is the gzip extra subfield (RFC 1952, 2.3.1.1) holding the
// register's applied index as 8 big-endian bytes.
var extraID = [2]byte{'B', 'X'}

// fsmSnapshot is a register snapshot being written. Persist runs
// concurrently with ApplyBatch; the register's read transaction keeps its
// view fixed only while the file is copied to scratch (store.Snapshot).
type fsmSnapshot struct {
	snap *store.Snapshot
	log  *slog.Logger
	m    *metrics // nil in some tests
}

// Persist writes the compressed copy to sink, cancelling the sink on error.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	start, cw := time.Now(), &countingWriter{w: sink}
	if err := s.write(cw); err != nil {
		_ = sink.Cancel()
		return err
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("close snapshot sink: %w", err)
	}
	if s.m != nil {
		s.m.snapshotWritten(time.Since(start), cw.n)
	}
	s.log.Info("register snapshot written", "applied_index", s.snap.Index(), "bytes", cw.n,
		"took", time.Since(start).Round(time.Millisecond), "read_tx_held", s.snap.Held().Round(time.Millisecond))
	return nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (s *fsmSnapshot) write(w io.Writer) error {
	gz := gzip.NewWriter(w)
	extra := make([]byte, 4, 12)
	copy(extra, extraID[:])
	binary.LittleEndian.PutUint16(extra[2:], 8)
	gz.Header.Extra = binary.BigEndian.AppendUint64(extra, s.snap.Index())
	gz.Header.Name = "register.db"
	if _, err := s.snap.WriteTo(gz); err != nil {
		return fmt.Errorf("write register snapshot: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("compress register snapshot: %w", err)
	}
	return nil
}

// Release ends the read transaction.
func (s *fsmSnapshot) Release() {
	if err := s.snap.Close(); err != nil {
		s.log.Warn("close register snapshot", "error", err)
	}
}

// appliedIndex reads the register's applied index from a gzip header. ok is
// false if the header does not carry it.
func appliedIndex(h gzip.Header) (applied uint64, ok bool) {
	x := h.Extra
	for len(x) >= 4 {
		n := int(binary.LittleEndian.Uint16(x[2:4]))
		if len(x) < 4+n {
			break
		}
		if x[0] == extraID[0] && x[1] == extraID[1] && n == 8 {
			return binary.BigEndian.Uint64(x[4:12]), true
		}
		x = x[4+n:]
	}
	return 0, false
}

// restoreRegister replaces the register with the snapshot read from r and
// returns the register's applied index afterwards.
func restoreRegister(db *store.DB, r io.Reader) (uint64, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return 0, fmt.Errorf("read snapshot: %w", err)
	}
	// Restore reads to the end of the stream, where gzip checks its
	// checksum, before it replaces the file: a corrupt snapshot fails here.
	if err := db.Restore(gz); err != nil {
		return 0, fmt.Errorf("restore register: %w", err)
	}
	return db.AppliedIndex(), nil
}

// restoreIfBehind restores the register from the newest snapshot in snaps
// if the register lacks commands that snapshot holds: register.db was lost
// or replaced by an older copy. Raft would never replay those commands: even
// with NoSnapshotRestoreOnStart it takes the newest snapshot's index as
// already applied. It reports whether it restored.
func restoreIfBehind(snaps raft.SnapshotStore, db *store.DB) (bool, error) {
	metas, err := snaps.List()
	if err != nil {
		return false, fmt.Errorf("list snapshots: %w", err)
	}
	if len(metas) == 0 || db.AppliedIndex() >= metas[0].Index {
		return false, nil
	}
	newest := metas[0]
	_, rc, err := snaps.Open(newest.ID)
	if err != nil {
		return false, fmt.Errorf("open snapshot %s: %w", newest.ID, err)
	}
	defer rc.Close()
	gz, err := gzip.NewReader(rc)
	if err != nil {
		return false, fmt.Errorf("read snapshot %s: %w", newest.ID, err)
	}
	snapApplied, ok := appliedIndex(gz.Header)
	if !ok {
		// Without the mark, assume the snapshot holds commands up to its
		// Raft index: restoring is then possibly needless but never wrong.
		snapApplied = newest.Index
	}
	if snapApplied <= db.AppliedIndex() {
		return false, nil
	}
	if err := db.Restore(gz); err != nil {
		return false, fmt.Errorf("restore register from snapshot %s: %w", newest.ID, err)
	}
	return true, nil
}

package sync

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/raft"
	raftwal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
	bolt "go.etcd.io/bbolt"
)

// The Raft log and stable store is a write-ahead log (hashicorp/raft-wal) in
// DATA/raft/wal: one fsync per append and no B-tree to copy, where
// raft-boltdb took two fsyncs and rewrote pages of a file that never shrank.
// Data directories written before it hold DATA/raft/raft.db (raft-boltdb/v2);
// openLogStore copies that into a new WAL once, then renames raft.db to
// raft.db.migrated. The old file is read with bbolt directly, so the program
// no longer links raft-boltdb (whose boltdb/bolt import does not build on
// every platform).

// walSegmentSize is the size of one WAL segment file. Segments are
// preallocated and removed whole once a snapshot covers them: 16 MiB is
// some 20,000 entries.
const walSegmentSize = 16 << 20

// Names under DATA/raft.
const (
	walDirName     = "wal"
	oldLogFileName = "raft.db"
)

// walStore is the WAL with its metadata file. raft-wal v0.4.0's Close
// leaves that bolt file open, and with it its lock, so the same process
// could never open the log again (a restart in tests; a restore).
type walStore struct {
	*raftwal.WAL
	meta *metadb.BoltMetaDB
}

func openWAL(dir string, logger hclog.Logger) (*walStore, error) {
	meta := &metadb.BoltMetaDB{}
	w, err := raftwal.Open(dir, raftwal.WithSegmentSize(walSegmentSize), raftwal.WithLogger(logger), raftwal.WithMetaStore(meta))
	if err != nil {
		meta.Close()
		return nil, err
	}
	return &walStore{WAL: w, meta: meta}, nil
}

// GetLog reads entry index. raft-wal v0.4.0 still answers entries that a
// compaction removed from the head when they sit in the segment being
// written (it truncates there by moving the first index only), so a far
// behind follower was sent those instead of the snapshot: refuse them.
func (s *walStore) GetLog(index uint64, log *raft.Log) error {
	if first, err := s.WAL.FirstIndex(); err == nil && index < first {
		return raft.ErrLogNotFound
	}
	return s.WAL.GetLog(index, log)
}

// Close closes the log, then its metadata file.
func (s *walStore) Close() error {
	err := s.WAL.Close()
	if merr := s.meta.Close(); err == nil {
		err = merr
	}
	return err
}

// openLogStore opens the Raft log in dir (DATA/raft), migrating a raft.db
// left by an earlier version first.
func openLogStore(dir string, logger hclog.Logger) (*walStore, error) {
	walDir := filepath.Join(dir, walDirName)
	old := filepath.Join(dir, oldLogFileName)
	if _, err := os.Stat(walDir); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(old); err == nil {
			if err := migrateBoltLog(old, walDir, logger); err != nil {
				return nil, fmt.Errorf("migrate %s: %w", old, err)
			}
		} else if err := os.Mkdir(walDir, 0o700); err != nil {
			return nil, err
		}
	}
	return openWAL(walDir, logger)
}

// raft-boltdb/v2's layout: bucket "logs" (big-endian index → msgpack
// raft.Log) and bucket "conf" (stable store; uint64 values big-endian,
// where raft-wal keeps them little-endian).
var (
	boltLogs = []byte("logs")
	boltConf = []byte("conf")
	// uint64Keys are the stable-store keys Raft writes with SetUint64.
	uint64Keys = map[string]bool{"CurrentTerm": true, "LastVoteTerm": true}
)

// migrateBoltLog copies the log and stable store of a raft-boltdb file into
// a new WAL at walDir. It builds the WAL beside walDir and renames it into
// place only when complete, so a crash part-way leaves the old file in use
// and the copy is made again at the next start.
func migrateBoltLog(old, walDir string, logger hclog.Logger) error {
	db, err := bolt.Open(old, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	tmp := walDir + ".migrating"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return err
	}
	w, err := openWAL(tmp, logger)
	if err != nil {
		return err
	}
	n, err := copyBoltLog(db, w)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, walDir); err != nil {
		return err
	}
	syncDir(filepath.Dir(walDir))
	logger.Info("moved the raft log from raft.db to a write-ahead log", "entries", n)
	// Kept, not deleted: an operator can remove it once the node runs.
	return os.Rename(old, old+".migrated")
}

// copyBoltLog copies every stable-store key and log entry, in order.
func copyBoltLog(db *bolt.DB, w *walStore) (int, error) {
	n := 0
	err := db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(boltConf); b != nil {
			if err := b.ForEach(func(k, v []byte) error {
				if uint64Keys[string(k)] && len(v) == 8 {
					return w.SetUint64(k, binary.BigEndian.Uint64(v))
				}
				return w.Set(k, bytes.Clone(v))
			}); err != nil {
				return err
			}
		}
		b := tx.Bucket(boltLogs)
		if b == nil {
			return nil
		}
		batch := make([]*raft.Log, 0, 1024)
		flush := func() error {
			err := w.StoreLogs(batch)
			n += len(batch)
			batch = batch[:0]
			return err
		}
		h := codec.MsgpackHandle{} // decodes both time formats raft-boltdb wrote
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			l := new(raft.Log)
			if err := codec.NewDecoderBytes(v, &h).Decode(l); err != nil {
				return fmt.Errorf("entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if batch = append(batch, l); len(batch) == cap(batch) {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	})
	return n, err
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

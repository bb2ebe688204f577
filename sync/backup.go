package sync

import (
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// A backup carries the register but not the Raft log (DESIGN.md, "Backups
// and recovery"). What a restore needs to put Raft back in step with the
// register is RaftState: the term of the register's last applied entry, the
// current term, and the configuration.

// RaftState is what a backup records of Raft beside a register copy.
type RaftState struct {
	// AppliedIndex is the register copy's applied index; LogTerm is the
	// term of the log entry at that index (0 if the log no longer has it).
	AppliedIndex uint64 `json:"applied_index"`
	LogTerm      uint64 `json:"log_term"`
	// Term is Raft's current term when the backup was taken.
	Term    uint64         `json:"term"`
	Servers []BackupServer `json:"servers"`
}

// BackupServer is one server of the Raft configuration.
type BackupServer struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	Voter   bool   `json:"voter"`
}

// SoleVoter reports whether nodeID was the configuration's only voter.
func (s RaftState) SoleVoter(nodeID string) bool {
	voters, self := 0, false
	for _, sv := range s.Servers {
		if sv.Voter {
			voters++
			self = self || sv.ID == nodeID
		}
	}
	return voters == 1 && self
}

// RaftState returns Raft's state for a register copy at applied. It returns
// ErrClosed if Raft is not running.
func (r *Replicator) RaftState(applied uint64) (RaftState, error) {
	ra, err := r.current()
	if err != nil {
		return RaftState{}, err
	}
	st := RaftState{AppliedIndex: applied}
	st.Term, _ = strconv.ParseUint(ra.Stats()["term"], 10, 64)
	r.mu.RLock()
	logStore := r.logStore
	r.mu.RUnlock()
	var entry raft.Log
	if applied > 0 && logStore != nil && logStore.GetLog(applied, &entry) == nil {
		st.LogTerm = entry.Term
	}
	if st.LogTerm == 0 {
		// Compacted away: the newest snapshot may end there.
		if term, err := strconv.ParseUint(ra.Stats()["last_snapshot_term"], 10, 64); err == nil &&
			ra.Stats()["last_snapshot_index"] == strconv.FormatUint(applied, 10) {
			st.LogTerm = term
		}
	}
	f := ra.GetConfiguration()
	if err := f.Error(); err != nil {
		return RaftState{}, fmt.Errorf("raft configuration: %v", err)
	}
	for _, s := range f.Configuration().Servers {
		st.Servers = append(st.Servers, BackupServer{ID: string(s.ID), Address: string(s.Address), Voter: s.Suffrage == raft.Voter})
	}
	return st, nil
}

// IndexGap is how far a restored sole voter or a recovered cluster moves the
// log index past the register's, so that every other node's log ends below
// it. Nodes that had received entries the survivor lacks (they were applied
// there, but are lost with the dead voters) would otherwise accept the new
// leader's different entries at the same indexes and keep both; below the
// leader's first index they are sent its snapshot instead, which replaces
// their register. etcd's `snapshot restore --bump-revision` does the same
// for the same reason. 2^32 commands is more than a district writes in a
// lifetime.
const IndexGap = 1 << 32

// RestoreRaft makes dataDir's Raft state agree with a register restored from
// a backup (dataDir/register.db, applied index st.AppliedIndex): a snapshot
// of that register at the same index, with the backup's configuration, and
// the current term in the stable store. Raft then starts from the register
// as if it had applied the log up to there: a node rejoining a living
// cluster is sent the entries after it (or a snapshot). With bump (the node
// was the sole voter, so it will lead) the snapshot's index is moved
// IndexGap ahead; see IndexGap. dataDir/raft must not exist.
func RestoreRaft(dataDir string, st RaftState, bump bool) error {
	dir := filepath.Join(dataDir, "raft")
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("%s exists already", dir)
	}
	if len(st.Servers) == 0 {
		return errors.New("backup has no raft configuration")
	}
	var conf raft.Configuration
	for _, s := range st.Servers {
		suffrage := raft.Nonvoter
		if s.Voter {
			suffrage = raft.Voter
		}
		conf.Servers = append(conf.Servers, raft.Server{Suffrage: suffrage, ID: raft.ServerID(s.ID), Address: raft.ServerAddress(s.Address)})
	}
	index, term := st.AppliedIndex, st.LogTerm
	if term == 0 || bump {
		term = st.Term
	}
	if bump {
		index += IndexGap
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create raft directory: %w", err)
	}
	src, err := os.Open(filepath.Join(dataDir, "register.db"))
	if err != nil {
		return err
	}
	defer src.Close()
	if err := writeSnapshot(dir, index, term, conf, st.AppliedIndex, src); err != nil {
		return err
	}
	return setTerm(dir, st.Term)
}

// writeSnapshot writes the register file read from src as a Raft snapshot at
// index and term, in the format Persist writes (snapshot.go).
func writeSnapshot(dir string, index, term uint64, conf raft.Configuration, applied uint64, src io.WriterTo) error {
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, retainSnapshots, hclog.NewNullLogger())
	if err != nil {
		return fmt.Errorf("open snapshot store: %w", err)
	}
	_, trans := raft.NewInmemTransport("")
	sink, err := snaps.Create(raft.SnapshotVersionMax, index, term, conf, 1, trans)
	if err != nil {
		return fmt.Errorf("create snapshot: %w", err)
	}
	gz := gzip.NewWriter(sink)
	extra := make([]byte, 4, 12)
	copy(extra, extraID[:])
	binary.LittleEndian.PutUint16(extra[2:], 8)
	gz.Header.Extra = binary.BigEndian.AppendUint64(extra, applied)
	gz.Header.Name = "register.db"
	if _, err := src.WriteTo(gz); err != nil {
		sink.Cancel()
		return fmt.Errorf("write snapshot: %w", err)
	}
	if err := gz.Close(); err != nil {
		sink.Cancel()
		return fmt.Errorf("write snapshot: %w", err)
	}
	if err := sink.Close(); err != nil {
		return fmt.Errorf("close snapshot: %w", err)
	}
	return nil
}

// setTerm opens (creating) the Raft log in dir and stores term as Raft's
// current term, so that a restored node does not campaign in a term the
// cluster has long passed and write entries of a lower term after its
// snapshot's.
func setTerm(dir string, term uint64) error {
	logStore, err := openLogStore(dir, hclog.NewNullLogger())
	if err != nil {
		return fmt.Errorf("open raft log: %w", err)
	}
	// The key raft.Raft keeps its current term under (raft's api.go).
	if err := logStore.SetUint64([]byte("CurrentTerm"), term); err != nil {
		logStore.Close()
		return fmt.Errorf("store raft term: %w", err)
	}
	return logStore.Close()
}

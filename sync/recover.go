package sync

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"baoxue/store"
)

// Recovered is what RecoverCluster found and did.
type Recovered struct {
	// Before is the configuration the survivor's log held.
	Before []BackupServer
	// LastIndex is the last log index the survivor had (applied to its
	// register now, committed or not); Index is the new snapshot's index,
	// IndexGap beyond.
	LastIndex, Index uint64
}

// RecoverCluster rewrites the Raft state in dataDir so that the node nodeID,
// at address addr, is the only voter: raft.RecoverCluster applies every
// entry of the node's log to db (those the lost voters never committed
// too), writes a snapshot with the new configuration and empties the log;
// the snapshot is then moved IndexGap ahead (see IndexGap). Every other
// node is then a follower of this one and is sent its snapshot; whatever it
// had beyond this node's log is gone. The node must not be running.
func RecoverCluster(dataDir, nodeID, addr string, db *store.DB) (Recovered, error) {
	dir := filepath.Join(dataDir, "raft")
	if _, err := os.Stat(filepath.Join(dir, walDirName)); err != nil {
		if _, err := os.Stat(filepath.Join(dir, oldLogFileName)); err != nil {
			return Recovered{}, fmt.Errorf("no raft log in %s: %w", dir, err)
		}
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, retainSnapshots, hclog.NewNullLogger())
	if err != nil {
		return Recovered{}, fmt.Errorf("open snapshot store: %w", err)
	}
	logStore, err := openLogStore(dir, hclog.NewNullLogger())
	if err != nil {
		return Recovered{}, fmt.Errorf("open raft log: %w", err)
	}
	defer logStore.Close()
	var rec Recovered
	if rec.Before, err = lastConfiguration(logStore, snaps); err != nil {
		return Recovered{}, err
	}
	_, trans := raft.NewInmemTransport(raft.ServerAddress(addr))
	conf := raft.DefaultConfig()
	conf.LocalID = raft.ServerID(nodeID)
	conf.Logger = hclog.NewNullLogger()
	servers := raft.Configuration{Servers: []raft.Server{{Suffrage: raft.Voter, ID: raft.ServerID(nodeID), Address: raft.ServerAddress(addr)}}}
	f := recoveryFSM{&fsm{db: db, log: slog.New(slog.DiscardHandler)}}
	if err := raft.RecoverCluster(conf, f, logStore, logStore, snaps, trans, servers); err != nil {
		return Recovered{}, fmt.Errorf("recover cluster: %v", err)
	}
	metas, err := snaps.List()
	if err != nil || len(metas) == 0 {
		return Recovered{}, fmt.Errorf("list snapshots after recovery: %v", err)
	}
	newest := metas[0]
	rec.LastIndex, rec.Index = newest.Index, newest.Index+IndexGap
	snap, err := db.BeginSnapshot()
	if err != nil {
		return Recovered{}, err
	}
	defer snap.Close()
	if err := writeSnapshot(dir, rec.Index, newest.Term, servers, snap.Index(), snap); err != nil {
		return Recovered{}, err
	}
	// A node restored from a backup and then recovered is the only voter:
	// no other voter is left to ask (restored.go).
	if err := clearRestoreMark(dataDir); err != nil {
		return Recovered{}, err
	}
	return rec, nil
}

// lastConfiguration is the newest configuration in the log or, failing
// that, in the newest snapshot.
func lastConfiguration(logs raft.LogStore, snaps raft.SnapshotStore) ([]BackupServer, error) {
	var conf raft.Configuration
	if metas, err := snaps.List(); err == nil && len(metas) > 0 {
		conf = metas[0].Configuration
	}
	first, err := logs.FirstIndex()
	if err != nil {
		return nil, fmt.Errorf("read raft log: %v", err)
	}
	last, err := logs.LastIndex()
	if err != nil {
		return nil, fmt.Errorf("read raft log: %v", err)
	}
	for i := last; i >= first && i > 0; i-- {
		var l raft.Log
		if logs.GetLog(i, &l) == nil && l.Type == raft.LogConfiguration {
			conf = raft.DecodeConfiguration(l.Data)
			break
		}
	}
	var out []BackupServer
	for _, s := range conf.Servers {
		out = append(out, BackupServer{ID: string(s.ID), Address: string(s.Address), Voter: s.Suffrage == raft.Voter})
	}
	return out, nil
}

// recoveryFSM releases its snapshot once persisted: raft.RecoverCluster
// never calls Release, and the snapshot's open read transaction would keep
// the register from closing.
type recoveryFSM struct{ *fsm }

func (f recoveryFSM) Snapshot() (raft.FSMSnapshot, error) {
	s, err := f.fsm.Snapshot()
	if err != nil {
		return nil, err
	}
	return releasedSnapshot{s}, nil
}

type releasedSnapshot struct{ raft.FSMSnapshot }

func (s releasedSnapshot) Persist(sink raft.SnapshotSink) error {
	defer s.Release()
	return s.FSMSnapshot.Persist(sink)
}

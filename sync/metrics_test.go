package sync

import (
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// A node's status answer carries what the bureau's Nodes page shows: its
// version, free disk and outbox.
func TestStatusReplyForNodesPage(t *testing.T) {
	dir := t.TempDir()
	db := mustOpenDB(t, dir)
	cfg := testConfig(t, dir)
	cfg.Version = "v9.9.9"
	r := mustOpen(t, cfg, db)
	st := r.statusReply()
	if st.Version != "v9.9.9" || st.DiskFree == 0 || st.OutboxPending != 0 || !st.OutboxOldestAt.IsZero() || st.UpgradeRequired {
		t.Errorf("status answer %+v, want version v9.9.9, free disk, empty outbox, no upgrade", st)
	}
}

// The leader's per-follower last contact is 0 while heartbeats succeed,
// the time since the last contact while they fail, and 0 again once they
// resume.
func TestFollowerLastContact(t *testing.T) {
	m := newMetrics()
	now := time.Now()
	if got := m.lastContact("t1", now); got != 0 {
		t.Errorf("healthy follower: %v, want 0", got)
	}
	m.heartbeat(raft.Observation{Data: raft.FailedHeartbeatObservation{PeerID: "t1", LastContact: now.Add(-90 * time.Second)}})
	if got := m.lastContact("t1", now); got < 89 || got > 91 {
		t.Errorf("failing follower: %v, want 90", got)
	}
	if got := m.lastContact("t2", now); got != 0 {
		t.Errorf("another follower: %v, want 0", got)
	}
	m.heartbeat(raft.Observation{Data: raft.ResumedHeartbeatObservation{PeerID: "t1"}})
	if got := m.lastContact("t1", now); got != 0 {
		t.Errorf("resumed follower: %v, want 0", got)
	}
}

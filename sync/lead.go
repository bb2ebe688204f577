package sync

import (
	"time"

	"github.com/hashicorp/raft"
)

// leadAloneAtOnce makes a node that is the only voter of its Raft
// configuration stand for election now instead of after a heartbeat
// timeout (15–30 s with the WAN defaults): nobody else can lead, so the
// wait only delays the first write after every start.
//
// hashicorp/raft has no call to start an election. Its follower loop
// re-arms its heartbeat timer to fire at once when ReloadConfig lowers
// HeartbeatTimeout (followerNotifyCh); it then finds no contact from a
// leader since start and becomes a candidate, and a lone voter wins its
// own vote at once. So: lower the timeout by a millisecond and put it back
// straight away. The timeouts in force are the configured ones throughout
// (LeaderLeaseTimeout, which ReloadConfig cannot change, is never touched),
// so nothing needs lengthening once it leads. A node with other voters
// waits as before: an election it forced could unseat a live leader.
func (r *Replicator) leadAloneAtOnce(ra *raft.Raft) {
	if !onlyVoter(ra, raft.ServerID(r.cfg.NodeID)) {
		return
	}
	rc := ra.ReloadableConfig()
	nudge := rc
	nudge.HeartbeatTimeout -= time.Millisecond
	if err := ra.ReloadConfig(nudge); err != nil {
		// LeaderLeaseTimeout equal to HeartbeatTimeout leaves no room:
		// the node leads after a heartbeat timeout, as without this.
		r.log.Info("cannot hurry the first election", "error", err)
		return
	}
	if err := ra.ReloadConfig(rc); err != nil {
		r.log.Error("restore the heartbeat timeout", "error", err)
	}
}

// onlyVoter reports whether id is the one voter of ra's latest
// configuration (read from memory, loaded from the log at start).
func onlyVoter(ra *raft.Raft, id raft.ServerID) bool {
	f := ra.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	voters, self := 0, false
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			voters++
			self = self || s.ID == id
		}
	}
	return voters == 1 && self
}

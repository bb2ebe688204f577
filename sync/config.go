package sync

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Config configures one node's replication. Start from DefaultConfig and set
// NodeID, DataDir and ClusterAddr; the timing fields default to values for
// slow, lossy WAN links between township offices and the bureau.
type Config struct {
	// NodeID names this node in the Raft configuration. It must be stable
	// across restarts and unique in the cluster.
	NodeID string
	// DataDir is the node's data directory. Raft keeps its log and stable
	// store in DataDir/raft/raft.db and its snapshots in DataDir/raft/snapshots.
	DataDir string
	// ClusterAddr is the host:port Raft's transport binds and advertises. It
	// must be an address other nodes can reach: not 0.0.0.0 or [::]. Port 0
	// picks a free port (tests).
	ClusterAddr string
	// Bootstrap makes a node with no Raft state start a new cluster with
	// itself as the only voter. It is ignored when Raft state exists.
	Bootstrap bool
	// Logger receives the package's logs (component=sync) and Raft's
	// (component=raft). Nil discards them.
	Logger *slog.Logger

	// HeartbeatTimeout is how long a follower goes without hearing from the
	// leader before it calls an election; the leader heartbeats every
	// HeartbeatTimeout/10 or so. Raft's 1s is for a LAN: a township link
	// with second-long round trips and bursts of loss would see leadership
	// churn. 10s also keeps idle heartbeat traffic to about one RPC a second.
	HeartbeatTimeout time.Duration
	// ElectionTimeout is how long a candidate waits for votes. Equal to
	// HeartbeatTimeout (Raft requires at least that) so that a vote over a
	// slow link is not abandoned before the reply can arrive.
	ElectionTimeout time.Duration
	// LeaderLeaseTimeout is how long a leader keeps leading without hearing
	// from a quorum. Half the heartbeat timeout: long enough to ride out a
	// few lost heartbeats on the voters' (good) links, short enough that a
	// cut-off leader steps down before the others elect a new one.
	LeaderLeaseTimeout time.Duration
	// CommitTimeout is how often the leader sends an otherwise empty
	// AppendEntries so that followers learn the commit index when writes
	// stop. Raft's 50ms means twenty RPCs a second to every follower over
	// metered links; 1s delays a follower's view of the last write by at
	// most about two seconds, which a person filling in forms does not notice.
	CommitTimeout time.Duration
	// MaxAppendEntries is the most log entries sent in one AppendEntries RPC
	// and, with BatchApplyCh, applied in one register transaction. Raft's
	// 64: a command is around a kilobyte, so one RPC stays well within the
	// transport's I/O deadline on a slow link.
	MaxAppendEntries int
	// TrailingLogs is how many log entries are kept after a snapshot. A
	// township cut off for days catches up by replaying these; beyond them it
	// needs a whole snapshot, sent in one stream that restarts from zero if
	// the link drops. 50,000 commands is weeks of ordinary work and several
	// days of the enrolment season, at some tens of megabytes of log.
	TrailingLogs uint64
	// SnapshotInterval is how often Raft checks whether SnapshotThreshold is
	// reached. The check is cheap; a few minutes keeps the log from growing
	// far past the threshold.
	SnapshotInterval time.Duration
	// SnapshotThreshold is how many new log entries trigger a snapshot. A
	// snapshot copies and compresses the whole register, so take one only
	// every 10,000 commands (days of work), not Raft's 8192.
	SnapshotThreshold uint64
	// ApplyTimeout bounds how long Submit waits for a command to be
	// committed and applied. Committing needs a round trip to a quorum of
	// voters over WAN links; 10s allows several.
	ApplyTimeout time.Duration
	// MinFreeBytes is the free space DataDir must have for Submit to accept
	// a write (ErrDiskFull otherwise). Raft panics when its log store cannot
	// write, so refusing early is the only graceful option. 0 disables the
	// check.
	MinFreeBytes uint64
}

// DefaultConfig returns a Config with the WAN defaults described on each
// field. NodeID, DataDir and ClusterAddr are left empty.
func DefaultConfig() Config {
	return Config{
		HeartbeatTimeout:   10 * time.Second,
		ElectionTimeout:    10 * time.Second,
		LeaderLeaseTimeout: 5 * time.Second,
		CommitTimeout:      time.Second,
		MaxAppendEntries:   64,
		TrailingLogs:       50_000,
		SnapshotInterval:   5 * time.Minute,
		SnapshotThreshold:  10_000,
		ApplyTimeout:       10 * time.Second,
		MinFreeBytes:       256 << 20,
	}
}

// Validate reports the first invalid field, naming it. The limits on the
// timing fields are Raft's own (raft.ValidateConfig), checked here so that
// the error names our field.
func (c Config) Validate() error {
	switch {
	case c.NodeID == "":
		return errors.New("NodeID is empty")
	case c.DataDir == "":
		return errors.New("DataDir is empty")
	case c.ClusterAddr == "":
		return errors.New("ClusterAddr is empty")
	}
	if _, _, err := net.SplitHostPort(c.ClusterAddr); err != nil {
		return fmt.Errorf("ClusterAddr %q: %w", c.ClusterAddr, err)
	}
	const floor = 5 * time.Millisecond
	switch {
	case c.HeartbeatTimeout < floor:
		return fmt.Errorf("HeartbeatTimeout %s is below %s", c.HeartbeatTimeout, floor)
	case c.ElectionTimeout < c.HeartbeatTimeout:
		return fmt.Errorf("ElectionTimeout %s is below HeartbeatTimeout %s", c.ElectionTimeout, c.HeartbeatTimeout)
	case c.LeaderLeaseTimeout < floor:
		return fmt.Errorf("LeaderLeaseTimeout %s is below %s", c.LeaderLeaseTimeout, floor)
	case c.LeaderLeaseTimeout > c.HeartbeatTimeout:
		return fmt.Errorf("LeaderLeaseTimeout %s is above HeartbeatTimeout %s", c.LeaderLeaseTimeout, c.HeartbeatTimeout)
	case c.CommitTimeout < time.Millisecond:
		return fmt.Errorf("CommitTimeout %s is below 1ms", c.CommitTimeout)
	case c.MaxAppendEntries < 1 || c.MaxAppendEntries > 1024:
		return fmt.Errorf("MaxAppendEntries %d is outside 1..1024", c.MaxAppendEntries)
	case c.SnapshotInterval < floor:
		return fmt.Errorf("SnapshotInterval %s is below %s", c.SnapshotInterval, floor)
	case c.SnapshotThreshold == 0:
		return errors.New("SnapshotThreshold is 0")
	case c.ApplyTimeout <= 0:
		return fmt.Errorf("ApplyTimeout %s is not positive", c.ApplyTimeout)
	}
	return nil
}

package sync

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Config configures one node's replication. Start from DefaultConfig and set
// NodeID, DataDir and ClusterAddr; the timing fields default to values for
// slow, lossy WAN links between township offices and the bureau.
type Config struct {
	// NodeID names this node in the Raft configuration. It must be stable
	// across restarts and unique in the cluster.
	NodeID string
	// DataDir is the node's data directory. Raft keeps its log and stable
	// store in DataDir/raft/wal (logstore.go) and its snapshots in DataDir/raft/snapshots.
	DataDir string
	// ClusterAddr is the host:port Raft's transport binds and advertises. It
	// must be an address other nodes can reach: not 0.0.0.0 or [::]. Port 0
	// picks a free port (tests).
	ClusterAddr string
	// ClusterAdvertise is the host:port other nodes dial to reach this node
	// (its address in the Raft configuration and the node registry), when
	// that is not ClusterAddr: behind NAT or a port forward, or (tests) a
	// fault-injecting proxy. Empty: ClusterAddr. Outgoing connections are
	// still made from ClusterAddr's IP, so a proxy can tell nodes apart.
	ClusterAdvertise string
	// Bootstrap makes a node with no Raft state start a new cluster with
	// itself as the only voter. It is ignored when Raft state exists. On a
	// data directory without DataDir/tls it also creates the cluster CA,
	// whose key then lives on this node only (it signs joins).
	Bootstrap bool
	// JoinToken, on a data directory without a cluster certificate, joins
	// the cluster the token names: the node checks the CA by the token's
	// fingerprint, sends a certificate request with the token's secret and
	// starts as a non-voter. It is not kept: once joined, the certificate
	// and Raft state in DataDir are what let the node rejoin after a
	// restart. Ignored when DataDir/tls exists.
	JoinToken string
	// Township is the township code this node serves ("" for the bureau),
	// recorded in the replicated node registry when it joins so that every
	// node can list nodes by township.
	Township string
	// RestoredDemoted lets a node restored from a backup as a voter among
	// others start although none of the backup's other voters answered
	// (restored.go): the operator asserts that the cluster no longer counts
	// it as a voter. Without it such a start is refused. Ignored when no
	// restore mark is in DataDir, and when a voter answers.
	RestoredDemoted bool
	// Version is this program's version as the node reports it to the
	// others (the bureau's Nodes page); free text, may be empty.
	Version string
	// CatchUpMargin is how many log entries a voter-to-be may be behind the
	// leader's applied index and still be promoted. Promoting a node far
	// behind would add a vote that cannot acknowledge new entries until it
	// has caught up: on a 3-voter cluster one more slow voter is enough to
	// stall commits. 256 is four full AppendEntries, a few seconds of
	// replication even on a slow link.
	CatchUpMargin uint64
	// MembershipInterval is how often the leader makes Raft's configuration
	// follow the node registry (add joined nodes, promote caught-up voters,
	// demote, remove). Joins and admin changes also trigger it at once, so
	// this only bounds the retry after a failure. It only reads local
	// state, except for voters-to-be, whose progress it asks them about.
	MembershipInterval time.Duration
	// Logger receives the package's logs (component=sync) and Raft's
	// (component=raft). Nil discards them.
	Logger *slog.Logger

	// HeartbeatTimeout is how long a follower goes without hearing from the
	// leader before it calls an election; the leader heartbeats every
	// HeartbeatTimeout/10 or so. Raft's 1s is for a LAN: a township link
	// with second-long round trips and bursts of loss would see leadership
	// churn. 15s puts heartbeats 1.5–3s apart, which with CommitTimeout
	// keeps an idle township link under 20 MB a day (README, Performance);
	// the price is that losing the leader costs 15–30s before a new one
	// is elected, which offices entering forms can bear.
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
	// metered links. These empty RPCs are most of an idle link's traffic:
	// 1s measured 30 MB a day, 3s keeps it under 20 MB. The cost is that a
	// township sees its own forwarded write applied 3–6s after the leader
	// commits it when no other writes follow (ForwardWait covers that).
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
	// CommitLinger is how long the register's transaction stays open for
	// more committed entries after its first (commit.go): writes are
	// answered as they are applied, and a read commits it at once, so the
	// linger only decides how many entries share a commit and its two
	// fdatasyncs. 100ms, etcd's backend's interval: under etcd-compare's
	// load 6-8% less CPU a write than 20ms (followers ~10%), transactions
	// then filling up to their 512 entries. At most 10s.
	CommitLinger time.Duration
	// MinFreeBytes is the free space DataDir must have for Submit to accept
	// a write (ErrDiskFull otherwise). Raft panics when its log store cannot
	// write, so refusing early is the only graceful option. 0 disables the
	// check.
	MinFreeBytes uint64

	// Local is the node's local.db (owned and closed by the caller). The
	// outbox lives there (outbox.go): with it, Submit on a node that is not
	// the leader queues the command durably and forwards it; without it,
	// such a Submit returns ErrNotLeader.
	Local *bolt.DB
	// ForwardWait is how long Submit on a non-leader waits for the queued
	// command's result to show in this node's replica before answering
	// "pending". 7s: over a working link, forward, commit and the commit
	// index coming back (up to two CommitTimeouts) fit in it. While the
	// leader is unreachable Submit does not wait: the answer is "pending"
	// at once.
	ForwardWait time.Duration
	// ForwardBatch is the most outbox commands sent to the leader in one
	// call. 128 commands of about a kilobyte is a request that fits the
	// RPC deadline on a slow link yet drains a large backlog quickly.
	ForwardBatch int
	// ForwardRetryMin and ForwardRetryMax bound the forwarder's
	// exponential back-off (with up to 50% jitter) while the leader is
	// unknown or unreachable. 1s to 1 minute: a township cut off for days
	// makes at most a couple of attempts a minute. Any new command retries
	// at once, and so does Raft learning of a leader (a link that returns).
	ForwardRetryMin time.Duration
	ForwardRetryMax time.Duration
}

// DefaultConfig returns a Config with the WAN defaults described on each
// field. NodeID, DataDir and ClusterAddr are left empty.
func DefaultConfig() Config {
	return Config{
		HeartbeatTimeout:   15 * time.Second,
		ElectionTimeout:    15 * time.Second,
		LeaderLeaseTimeout: 7500 * time.Millisecond,
		CommitTimeout:      3 * time.Second,
		MaxAppendEntries:   64,
		TrailingLogs:       50_000,
		SnapshotInterval:   5 * time.Minute,
		SnapshotThreshold:  10_000,
		ApplyTimeout:       10 * time.Second,
		MinFreeBytes:       256 << 20,
		ForwardWait:        7 * time.Second,
		ForwardBatch:       128,
		CommitLinger:       100 * time.Millisecond,
		ForwardRetryMin:    time.Second,
		ForwardRetryMax:    time.Minute,
		CatchUpMargin:      256,
		MembershipInterval: 10 * time.Second,
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
	if c.ClusterAdvertise != "" {
		if _, _, err := net.SplitHostPort(c.ClusterAdvertise); err != nil {
			return fmt.Errorf("ClusterAdvertise %q: %w", c.ClusterAdvertise, err)
		}
	}
	if c.Bootstrap && c.JoinToken != "" {
		return errors.New("Bootstrap and JoinToken are both set: a node starts a cluster or joins one")
	}
	if c.MembershipInterval <= 0 {
		return fmt.Errorf("MembershipInterval %s is not positive", c.MembershipInterval)
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
	case c.CommitLinger <= 0 || c.CommitLinger > 10*time.Second:
		return fmt.Errorf("CommitLinger %s is outside (0, 10s]", c.CommitLinger)
	case c.ForwardWait < 0:
		return fmt.Errorf("ForwardWait %s is negative", c.ForwardWait)
	case c.ForwardBatch < 1 || c.ForwardBatch > maxForwardBatch:
		return fmt.Errorf("ForwardBatch %d is outside 1..%d", c.ForwardBatch, maxForwardBatch)
	case c.ForwardRetryMin <= 0:
		return fmt.Errorf("ForwardRetryMin %s is not positive", c.ForwardRetryMin)
	case c.ForwardRetryMax < c.ForwardRetryMin:
		return fmt.Errorf("ForwardRetryMax %s is below ForwardRetryMin %s", c.ForwardRetryMax, c.ForwardRetryMin)
	}
	return nil
}

package main

import (
	"flag"
	"fmt"
	"strings"

	ledgersync "baoxue/sync"
)

// raftFlags adds the --raft-* flags to fs: replication settings for tests
// and tuning, over the WAN defaults of sync.DefaultConfig (whose fields say
// why each default is what it is). They are not shown by -h: an office never
// needs them, and a wrong value (say a 100ms heartbeat over a township link)
// causes leadership churn. Multi-node tests use them for LAN timeouts and a
// short trailing log; an operator may tune a district with them. Unlike
// --node-id or --http they are not kept in the data directory: pass them at
// every start.
func raftFlags(fs *flag.FlagSet, c *ledgersync.Config) {
	fs.DurationVar(&c.HeartbeatTimeout, "raft-heartbeat-timeout", c.HeartbeatTimeout, "Raft heartbeat timeout")
	fs.DurationVar(&c.ElectionTimeout, "raft-election-timeout", c.ElectionTimeout, "Raft election timeout (at least the heartbeat timeout)")
	fs.DurationVar(&c.LeaderLeaseTimeout, "raft-lease-timeout", c.LeaderLeaseTimeout, "Raft leader lease timeout (at most the heartbeat timeout)")
	fs.DurationVar(&c.CommitTimeout, "raft-commit-timeout", c.CommitTimeout, "how often an idle leader tells followers the commit index")
	fs.IntVar(&c.MaxAppendEntries, "raft-max-append-entries", c.MaxAppendEntries, "log entries per AppendEntries RPC and per register transaction")
	fs.Uint64Var(&c.TrailingLogs, "raft-trailing-logs", c.TrailingLogs, "log entries kept after a snapshot")
	fs.Uint64Var(&c.SnapshotThreshold, "raft-snapshot-threshold", c.SnapshotThreshold, "new log entries that trigger a snapshot")
	fs.DurationVar(&c.SnapshotInterval, "raft-snapshot-interval", c.SnapshotInterval, "how often the snapshot threshold is checked")
	fs.DurationVar(&c.ApplyTimeout, "raft-apply-timeout", c.ApplyTimeout, "how long a write waits to be committed and applied")
	fs.Uint64Var(&c.MinFreeBytes, "raft-min-free-bytes", c.MinFreeBytes, "free bytes the data directory needs to accept writes (0: no check)")
	fs.DurationVar(&c.MembershipInterval, "raft-membership-interval", c.MembershipInterval, "how often the leader reconciles Raft's configuration with the node registry")
	fs.DurationVar(&c.ForwardWait, "raft-forward-wait", c.ForwardWait, "how long a write on a non-leader waits for its result before answering pending")
	fs.DurationVar(&c.ForwardRetryMin, "raft-forward-retry-min", c.ForwardRetryMin, "the outbox forwarder's shortest back-off")
	fs.DurationVar(&c.ForwardRetryMax, "raft-forward-retry-max", c.ForwardRetryMax, "the outbox forwarder's longest back-off")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of %s:\n", fs.Name())
		visible := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
		fs.VisitAll(func(f *flag.Flag) {
			if !strings.HasPrefix(f.Name, "raft-") {
				visible.Var(f.Value, f.Name, f.Usage)
			}
		})
		visible.SetOutput(fs.Output())
		visible.PrintDefaults()
	}
}

package sync

import (
	gosync "sync"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics: the Replicator's figures as a prometheus.Collector, read when
// scraped (node registers it and serves /metrics). Raft's own go-metrics
// go through go-metrics' process-wide sink, which node wires into the same
// registry (node/raftmetrics.go). Names are baoxue_*; labels are node ids
// only, never records.

// metrics holds what is measured as it happens (histograms, the last
// snapshot's size) and what Raft tells only through observations (failed
// heartbeats).
type metrics struct {
	applyBatch   prometheus.Histogram
	snapPersist  prometheus.Histogram
	snapSize     prometheus.Gauge
	mu           gosync.Mutex
	failingSince map[raft.ServerID]time.Time // follower → last contact, while its heartbeats fail
}

func newMetrics() *metrics {
	return &metrics{
		applyBatch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "baoxue_apply_batch_seconds",
			Help:    "Time one register transaction (bbolt) spent applying committed log entries and committing them, not counting the time it stayed open for more.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9)}),
		snapPersist: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "baoxue_snapshot_persist_seconds",
			Help:    "Time to write one snapshot of the register (compressed) to the snapshot store.",
			Buckets: prometheus.ExponentialBuckets(0.05, 3, 9)}),
		snapSize: prometheus.NewGauge(prometheus.GaugeOpts{Name: "baoxue_snapshot_size_bytes",
			Help: "Compressed size of the last snapshot this node wrote."}),
		failingSince: map[raft.ServerID]time.Time{},
	}
}

// snapshotWritten records one persisted snapshot.
func (m *metrics) snapshotWritten(d time.Duration, size int64) {
	m.snapPersist.Observe(d.Seconds())
	m.snapSize.Set(float64(size))
}

// heartbeat records a leader's observation of a follower's heartbeats.
func (m *metrics) heartbeat(o raft.Observation) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch v := o.Data.(type) {
	case raft.FailedHeartbeatObservation:
		m.failingSince[v.PeerID] = v.LastContact
	case raft.ResumedHeartbeatObservation:
		delete(m.failingSince, v.PeerID)
	case raft.LeaderObservation:
		clear(m.failingSince) // a new term: the next leader's heartbeats are its own
	}
}

// lastContact is how long ago the leader last heard from follower id: 0
// while its heartbeats succeed (they are a few seconds apart).
func (m *metrics) lastContact(id raft.ServerID, now time.Time) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.failingSince[id]; ok && !t.IsZero() {
		return now.Sub(t).Seconds()
	}
	return 0
}

// watchHeartbeats feeds m from ra's heartbeat observations until the
// returned function is called.
func watchHeartbeats(ra *raft.Raft, m *metrics) (stop func()) {
	ch := make(chan raft.Observation, 16)
	obs := raft.NewObserver(ch, false, func(o *raft.Observation) bool {
		switch o.Data.(type) {
		case raft.FailedHeartbeatObservation, raft.ResumedHeartbeatObservation, raft.LeaderObservation:
			return true
		}
		return false
	})
	ra.RegisterObserver(obs)
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		defer ra.DeregisterObserver(obs)
		for {
			select {
			case o := <-ch:
				m.heartbeat(o)
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); <-stopped }
}

var (
	descApplied   = prometheus.NewDesc("baoxue_raft_applied_index", "Log index of the last command applied to this node's register.", nil, nil)
	descCommit    = prometheus.NewDesc("baoxue_raft_commit_index", "Log index this node knows to be committed.", nil, nil)
	descLast      = prometheus.NewDesc("baoxue_raft_last_index", "Last log index in this node's Raft log.", nil, nil)
	descLeader    = prometheus.NewDesc("baoxue_raft_leader", "1 if this node is the leader, else 0.", nil, nil)
	descHasLeader = prometheus.NewDesc("baoxue_raft_leader_known", "1 if this node knows a leader, else 0.", nil, nil)
	descVoter     = prometheus.NewDesc("baoxue_raft_voter", "1 if this node votes, else 0.", nil, nil)
	descContact   = prometheus.NewDesc("baoxue_raft_leader_last_contact_seconds", "On a follower: seconds since it last heard from the leader.", nil, nil)
	descFollower  = prometheus.NewDesc("baoxue_raft_follower_last_contact_seconds", "On the leader: seconds since it last heard from each follower; 0 while heartbeats succeed.", []string{"node"}, nil)
	descUpgrade   = prometheus.NewDesc("baoxue_upgrade_required", "1 if this node stopped applying the log at a command of a newer release.", nil, nil)
	descPending   = prometheus.NewDesc("baoxue_outbox_pending", "Commands in this node's outbox waiting for the leader.", nil, nil)
	descOldest    = prometheus.NewDesc("baoxue_outbox_oldest_age_seconds", "Age of the oldest command in the outbox; 0 when it is empty.", nil, nil)
	descAttention = prometheus.NewDesc("baoxue_needs_attention", "Rejected commands awaiting their authors (the needs-attention list).", nil, nil)
	descDiskFree  = prometheus.NewDesc("baoxue_disk_free_bytes", "Free bytes for this process on the data directory's file system.", nil, nil)
	gaugeDescs    = []*prometheus.Desc{descApplied, descCommit, descLast, descLeader, descHasLeader, descVoter, descContact, descFollower, descUpgrade, descPending, descOldest, descAttention, descDiskFree}
	_             = prometheus.Collector((*collector)(nil))
)

// collector is the Replicator as a prometheus.Collector.
type collector struct{ r *Replicator }

// Collector returns this node's replication metrics (names baoxue_*) for
// a prometheus registry. Safe for concurrent use; collecting never waits
// on Raft's loop.
func (r *Replicator) Collector() prometheus.Collector { return collector{r} }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range gaugeDescs {
		ch <- d
	}
	c.r.metrics.applyBatch.Describe(ch)
	c.r.metrics.snapPersist.Describe(ch)
	c.r.metrics.snapSize.Describe(ch)
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	r, now := c.r, time.Now()
	st, ob := r.Status(), r.Outbox().Status()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descApplied, float64(st.AppliedIndex))
	gauge(descCommit, float64(st.CommitIndex))
	gauge(descLast, float64(st.LastIndex))
	gauge(descLeader, flag(st.RaftState == raft.Leader.String()))
	gauge(descHasLeader, flag(st.LeaderID != ""))
	gauge(descVoter, flag(st.Voter))
	gauge(descUpgrade, flag(st.Halt != nil))
	if st.RaftState != raft.Leader.String() && !st.LastContact.IsZero() {
		gauge(descContact, now.Sub(st.LastContact).Seconds())
	}
	if ra, err := r.current(); err == nil && st.RaftState == raft.Leader.String() {
		if f := ra.GetConfiguration(); f.Error() == nil {
			for _, s := range f.Configuration().Servers {
				if string(s.ID) != r.cfg.NodeID {
					gauge(descFollower, r.metrics.lastContact(s.ID, now), string(s.ID))
				}
			}
		}
	}
	gauge(descPending, float64(ob.Pending))
	oldest := 0.0
	if !ob.OldestPendingAt.IsZero() {
		oldest = now.Sub(ob.OldestPendingAt).Seconds()
	}
	gauge(descOldest, oldest)
	gauge(descAttention, float64(ob.Rejected))
	if free, err := freeBytes(r.cfg.DataDir); err == nil {
		gauge(descDiskFree, float64(free))
	}
	r.metrics.applyBatch.Collect(ch)
	r.metrics.snapPersist.Collect(ch)
	r.metrics.snapSize.Collect(ch)
}

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

package node

// Benchmarks of a replicated district (figures in README.md, "Performance").
// They are not run by `go test ./...` (no -bench); each sets up its own
// cluster, so run them with a fixed count:
//
//	go test ./node -run '^$' -bench 'ReplicatedWrites' -benchtime 20000x
//	go test ./node -run '^$' -bench 'TownshipCatchUp' -benchtime 1x -timeout 20m
//	go test ./node -run '^$' -bench 'IdleTownshipLink' -benchtime 1x -timeout 20m
//	go test ./node -run '^$' -bench 'OutboxDrain' -benchtime 1x -timeout 20m

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"baoxue/node/nettest"
	"baoxue/store"
	"baoxue/store/synth"
)

var (
	benchDistrictOnce sync.Once
	benchDistrict     *synth.District
)

// district is a synthetic district with enough children for every
// benchmark here (generated once per run).
func district(b *testing.B) *synth.District {
	benchDistrictOnce.Do(func() {
		cfg := synth.DefaultConfig()
		cfg.Students = 120_000
		d, err := synth.Generate(cfg)
		if err != nil {
			b.Fatal(err)
		}
		benchDistrict = d
	})
	return benchDistrict
}

// inProcessNode is a node of an in-process cluster on its own loopback
// address, behind a fault proxy at its advertised cluster address.
type inProcessNode struct {
	*Node
	ip    string
	proxy *nettest.Proxy
}

// openInProcess starts node id on ip. With token "" it bootstraps the
// district (and waits to lead), else it joins with the token.
func openInProcess(b *testing.B, id, ip, token, township string, tune ...func(*Config)) *inProcessNode {
	b.Helper()
	cfg := clusterTestConfig(b, filepath.Join(b.TempDir(), id), id)
	// LAN timeouts, but not testConfig's 100ms: under a benchmark's load an
	// fsync can stall that long, and the leader would lose its lease.
	s := &cfg.Sync
	s.HeartbeatTimeout, s.ElectionTimeout, s.LeaderLeaseTimeout = time.Second, time.Second, 500*time.Millisecond
	s.CommitTimeout = 20 * time.Millisecond
	for _, f := range tune {
		f(&cfg)
	}
	cfg.HTTPAddr, cfg.ClusterAddr = ip+":0", freePort(b, ip)
	px, err := nettest.New(freePort(b, ip), cfg.ClusterAddr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { px.Close() })
	cfg.ClusterAdvertise, cfg.JoinToken, cfg.Township = px.Addr(), token, township
	cfg.Logger = nil // quiet: benchmarks print figures, not logs
	n, err := clOpen(b, cfg)
	if err != nil {
		b.Fatal(err)
	}
	if token == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := n.rep.WaitLeader(ctx); err != nil {
			b.Fatal(err)
		}
		if err := synth.Load(ctx, n, n.ID(), orgOnly(district(b)), 1, "benchmark-pw", nil); err != nil {
			b.Fatal(err)
		}
	}
	return &inProcessNode{Node: n, ip: ip, proxy: px}
}

func orgOnly(d *synth.District) *synth.District {
	return &synth.District{District: d.District, Townships: d.Townships, Villages: d.Villages, Groups: d.Groups, Schools: d.Schools}
}

// submitChildren registers children from..to-1 of the synthetic district
// through n.Submit with the given number of concurrent clients.
func submitChildren(b *testing.B, n *Node, from, to, clients int) {
	d := district(b)
	if to > len(d.Students) {
		b.Fatalf("%d children wanted, %d generated", to, len(d.Students))
	}
	actor := store.Actor{User: "admin", Role: store.RoleAdmin, Node: n.ID()}
	next := atomic.Int64{}
	next.Store(int64(from))
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < to; i = int(next.Add(1)) - 1 {
				cmd, _ := store.NewCommand(fmt.Sprintf("bench-%d", i), actor, store.StudentCreate{StudentFields: d.Students[i]})
				r, err := n.Submit(context.Background(), cmd)
				if err != nil || !r.Applied() {
					b.Errorf("submit %d: %v %s", i, err, r.Reason)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkReplicatedWrites: committed commands per second with three
// voters on this machine, each command a child's registration fsynced by
// a quorum. "submit" is the node's write path without HTTP (Node.Submit on
// the leader, in-process nodes); "api" is POST /api/v1/students on the
// leader through HTTP and JSON, on node processes.
func BenchmarkReplicatedWrites(b *testing.B) {
	clients := 128 // BAOXUE_CLIENTS to change
	if v, err := strconv.Atoi(os.Getenv("BAOXUE_CLIENTS")); err == nil && v > 0 {
		clients = v
	}
	b.Run("submit", func(b *testing.B) {
		district(b)
		// BAOXUE_MAX_APPEND sets MaxAppendEntries (default 64) to see what
		// batching buys.
		tune := func(c *Config) {
			if v, err := strconv.Atoi(os.Getenv("BAOXUE_MAX_APPEND")); err == nil && v > 0 {
				c.Sync.MaxAppendEntries = v
			}
		}
		bureau := openInProcess(b, "bureau", "127.0.0.2", "", "", tune)
		admin := login(b, bureau.Node, "admin", adminPassword)
		for i, id := range []string{"v2", "v3"} {
			openInProcess(b, id, fmt.Sprintf("127.0.0.%d", 3+i), clToken(b, admin, true), "", tune)
			clEventually(b, id+" promoted", func() error {
				if s := clSuffrage(bureau.Node, id); s != "voter" {
					return fmt.Errorf("%s is %s", id, s)
				}
				return nil
			})
		}
		b.ResetTimer()
		submitChildren(b, bureau.Node, 0, b.N, clients)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commands/s")
	})
	b.Run("api", func(b *testing.B) {
		c := newCluster(b, fastTiming())
		bureau := c.node("bureau")
		orgTreeOn(b, bureau)
		c.join(b, "v2", "", true)
		c.join(b, "v3", "", true)
		var next atomic.Int64
		var wg sync.WaitGroup
		b.ResetTimer()
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1)) - 1; i < b.N; i = int(next.Add(1)) - 1 {
					code, raw, err := bureau.api(context.Background(), "POST", "/api/v1/students", clusterChild(b, i, "S100", 1+i%6))
					if err != nil || code != 201 {
						b.Errorf("write %d: HTTP %d %s %v", i, code, raw, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commands/s")
	})
}

// BenchmarkTownshipCatchUp: a township non-voter is cut off while the
// bureau commits 100,000 commands (BAOXUE_CATCHUP to change); then the link
// heals. Reported: seconds from healing until the township has applied
// everything (caught-up-s); of these, until the leader starts sending in
// earnest (until-sending-s: Raft's back-off after failed heartbeats, up to
// about 10s), and from the township's first new entry to the last (replay-s:
// 0 when a snapshot brings everything at once); the bytes on the link; and
// whether a snapshot was installed.
// Replication settings are the WAN defaults (trailing logs 50,000, snapshot
// every 10,000 entries), except LAN timeouts so that setting up takes
// seconds, and the snapshot check every second (see below).
func BenchmarkTownshipCatchUp(b *testing.B) {
	missed := 100_000
	if v, err := strconv.Atoi(os.Getenv("BAOXUE_CATCHUP")); err == nil && v > 0 {
		missed = v
	}
	district(b)
	// The bureau checks for a snapshot every second instead of every five
	// minutes, so that its log is compacted during the writes as it would be
	// over the days a township is away.
	bureau := openInProcess(b, "bureau", "127.0.0.2", "", "", func(c *Config) { c.Sync.SnapshotInterval = time.Second })
	admin := login(b, bureau.Node, "admin", adminPassword)
	town := openInProcess(b, "lapu", "127.0.0.3", clToken(b, admin, false), district(b).Townships[0].Code)
	clEventually(b, "township replicating", func() error {
		if bureau.Store().AppliedIndex() != town.Store().AppliedIndex() {
			return fmt.Errorf("township at %d, bureau at %d", town.Store().AppliedIndex(), bureau.Store().AppliedIndex())
		}
		return nil
	})
	town.proxy.Cut()
	bureau.proxy.CutFrom(town.ip)
	start := time.Now()
	submitChildren(b, bureau.Node, 0, missed, 128)
	b.Logf("bureau committed %d commands in %.1fs while the township was away", missed, time.Since(start).Seconds())
	target := bureau.Store().AppliedIndex()
	from := town.Store().AppliedIndex()
	inBefore, outBefore := town.proxy.Bytes()

	b.ResetTimer()
	healed := time.Now()
	town.proxy.Heal()
	bureau.proxy.Heal()
	var firstProgress, firstBytes time.Time
	deadline := healed.Add(5 * time.Minute)
	for town.Store().AppliedIndex() < target {
		if firstProgress.IsZero() && town.Store().AppliedIndex() > from {
			firstProgress = time.Now()
		}
		if in, _ := town.proxy.Bytes(); firstBytes.IsZero() && in-inBefore > 64<<10 {
			firstBytes = time.Now()
		}
		if time.Now().After(deadline) {
			b.Fatalf("township at %d of %d after 5 minutes", town.Store().AppliedIndex(), target)
		}
		time.Sleep(5 * time.Millisecond)
	}
	done := time.Now()
	b.StopTimer()
	if firstProgress.IsZero() {
		firstProgress = done
	}
	if firstBytes.IsZero() {
		firstBytes = done
	}
	in, out := town.proxy.Bytes()
	entries, _ := os.ReadDir(filepath.Join(town.cfg.DataDir, "raft", "snapshots"))
	b.ReportMetric(done.Sub(healed).Seconds(), "caught-up-s")
	b.ReportMetric(firstBytes.Sub(healed).Seconds(), "until-sending-s")
	b.ReportMetric(done.Sub(firstProgress).Seconds(), "replay-s")
	b.ReportMetric(float64(in-inBefore+out-outBefore)/1e6, "MB-on-link")
	b.ReportMetric(float64(len(entries)), "snapshots-installed")
}

// BenchmarkIdleTownshipLink: the bytes an idle township link carries, with
// the WAN default settings (heartbeat and commit timeouts), measured
// through the proxies for BAOXUE_IDLE seconds (default 60) and extrapolated
// to a day. Counted: everything into the township's cluster port, and
// everything the township sends to the others' cluster ports.
func BenchmarkIdleTownshipLink(b *testing.B) {
	seconds := 60
	if v, err := strconv.Atoi(os.Getenv("BAOXUE_IDLE")); err == nil && v > 0 {
		seconds = v
	}
	// The WAN defaults: no --raft-* flags, unless BAOXUE_RAFT_FLAGS names
	// some to try (e.g. "--raft-commit-timeout 5s").
	c := newCluster(b, timing{Extra: os.Getenv("BAOXUE_RAFT_FLAGS")})
	bureau := c.node("bureau")
	orgTreeOn(b, bureau)
	town := c.join(b, "lapu", townshipCode, false)
	// Let joining and its after-effects settle.
	time.Sleep(20 * time.Second)
	// down: bytes to the township (into its port, and answers to its own
	// calls); up: bytes from it.
	count := func() (down, up int64) {
		in, out := town.proxy.Bytes()
		down, up = in, out
		for _, p := range c.nodes {
			if p != town {
				i, o := p.proxy.BytesFrom(town.ip)
				down, up = down+o, up+i
			}
		}
		return down, up
	}
	b.ResetTimer()
	down0, up0 := count()
	time.Sleep(time.Duration(seconds) * time.Second)
	down1, up1 := count()
	b.StopTimer()
	down, up := float64(down1-down0)/float64(seconds), float64(up1-up0)/float64(seconds)
	b.ReportMetric(down, "B/s-down")
	b.ReportMetric(up, "B/s-up")
	b.ReportMetric((down+up)*86400/1e6, "MB/day")
}

// BenchmarkOutboxDrain: a township cut off from the others takes 10,000
// writes (BAOXUE_DRAIN to change) into its outbox; then the link heals.
// Reported: commands per second from healing until the outbox is empty
// (every command applied and seen in the township's own replica), and the
// seconds that took. Node processes with LAN timeouts; the township's
// forwarder retries at most every second.
func BenchmarkOutboxDrain(b *testing.B) {
	pending := 10_000
	if v, err := strconv.Atoi(os.Getenv("BAOXUE_DRAIN")); err == nil && v > 0 {
		pending = v
	}
	tm := fastTiming()
	tm.Extra = "--raft-forward-wait 1ms" // answer "pending" at once: the link is down anyway
	c := newCluster(b, tm)
	bureau := c.node("bureau")
	orgTreeOn(b, bureau)
	c.join(b, "v2", "", true)
	c.join(b, "v3", "", true)
	town := c.join(b, "lapu", townshipCode, false)
	c.waitConverged(b, 30*time.Second)
	c.isolate(town)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < pending; i = int(next.Add(1)) - 1 {
				code, raw, err := town.api(context.Background(), "POST", "/api/v1/students", clusterChild(b, i, "S100", 1+i%6))
				if err != nil || code != 202 {
					b.Errorf("write %d on the cut-off township: HTTP %d %s %v", i, code, raw, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if st, err := town.sync(); err != nil || st.Outbox.Pending != pending {
		b.Fatalf("township outbox before healing: %+v %v; want %d pending", st.Outbox, err, pending)
	}
	b.ResetTimer()
	healed := time.Now()
	c.heal()
	waitFor(b, 10*time.Minute, "the outbox to drain", func() error {
		st, err := town.sync()
		if err != nil {
			return err
		}
		if st.Outbox.Pending != 0 {
			return fmt.Errorf("%d pending", st.Outbox.Pending)
		}
		return nil
	})
	took := time.Since(healed)
	b.StopTimer()
	if st, err := town.sync(); err != nil || st.Outbox.Rejected != 0 {
		b.Errorf("after draining: %+v %v; want nothing rejected", st.Outbox, err)
	}
	b.ReportMetric(float64(pending)/took.Seconds(), "commands/s")
	b.ReportMetric(took.Seconds(), "drain-s")
}

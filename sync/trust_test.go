package sync

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"baoxue/store"
)

// TestForwardTakesNodeFromCertificate: the leader takes the forwarding
// node from its certificate. A forward claiming another node's outbox
// origin is refused whole and nothing is applied; the commands of a
// proper forward are recorded as the sender's, whatever node they name.
func TestForwardTakesNodeFromCertificate(t *testing.T) {
	leader, follower, rpc := obCluster(t, nil)
	ctx := context.Background()
	before := leader.db.AppliedIndex()

	forged := townshipCmd(t, 1)
	forged.Origin, forged.Seq, forged.Actor.Node = "n1.0123456789ab", 1, "n1"
	_, err := rpc.forward(ctx, follower.id, leader.addr, forwardRequest{Origin: forged.Origin, Commands: []store.Command{forged}})
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "not one of node") {
		t.Fatalf("forward from n2 with n1's origin: %v, want refused (403)", err)
	}
	if got := leader.db.AppliedIndex(); got != before {
		t.Errorf("applied index moved from %d to %d: the forged forward reached the log", before, got)
	}
	if _, ok, _ := leader.db.Result(forged.ID); ok {
		t.Error("the forged command has a result")
	}

	own := townshipCmd(t, 2)
	own.Origin, own.Seq, own.Actor.Node = "n2.0123456789ab", 1, "n1" // claims to be the leader's
	out, err := rpc.forward(ctx, follower.id, leader.addr, forwardRequest{Origin: own.Origin, Commands: []store.Command{own}})
	if err != nil || len(out.Results) != 1 || !out.Results[0].Applied() {
		t.Fatalf("forward of n2's own origin: %+v, %v; want applied", out, err)
	}
	// The audit entry names the sender (store/audit.go's compact layout:
	// kind, user, role, node, time, target, …).
	if d := dump(t, leader.db); !regexp.MustCompile(`"township.create","admin","admin","n2",\d+,"township:` + townshipCode(2) + `"`).MatchString(d) {
		t.Errorf("the forwarded command is not recorded as node %s's (audit in the dump)", follower.id)
	}
}

func TestOriginOf(t *testing.T) {
	for _, c := range []struct {
		node, origin string
		want         bool
	}{
		{"lapu", "lapu.0123456789ab", true},
		{"a.b", "a.b.0123456789ab", true},
		{"a", "a.b.0123456789ab", false}, // node a cannot use node a.b's origin
		{"lapu", "bureau.0123456789ab", false},
		{"lapu", "lapu.0123", false},
		{"lapu", "lapu.0123456789xz", false},
		{"", ".0123456789ab", false},
	} {
		if got := originOf(c.node, c.origin); got != c.want {
			t.Errorf("originOf(%q, %q) = %v, want %v", c.node, c.origin, got, c.want)
		}
	}
}

// TestOutboxSettlesAfterDiskFreed: when local.db cannot be written (a full
// disk), answered commands stay in the outbox; once it can be written again
// they settle by themselves, with no new write and no restart, even in a
// district where nothing else is applied.
func TestOutboxSettlesAfterDiskFreed(t *testing.T) {
	leader, follower, _ := obCluster(t, nil)
	var full atomic.Bool
	full.Store(true)
	box := follower.r.outbox.box
	box.mu.Lock()
	box.failSettle = func() error {
		if full.Load() {
			return errors.New("write local.db: no space left on device")
		}
		return nil
	}
	box.mu.Unlock()
	submit(t, follower.r, townshipCmd(t, 1))
	waitFor(t, "the leader to apply it", func() bool { return countTownships(t, leader.db) == 1 })
	waitFor(t, "the follower's replica to have it", func() bool { return countTownships(t, follower.db) == 1 })
	time.Sleep(300 * time.Millisecond)
	if n := follower.r.outbox.Status().Pending; n != 1 {
		t.Fatalf("pending while local.db cannot be written: %d, want 1", n)
	}
	full.Store(false) // space freed
	waitFor(t, "the outbox to settle by itself", func() bool { return follower.r.outbox.Status().Pending == 0 })
}

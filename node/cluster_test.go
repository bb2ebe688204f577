package node

// Multi-node tests of the "How we will check it", on real node
// processes started by the harness (harness_test.go).

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"baoxue/store"
)

const townshipCode = "450206100" // 拉堡镇, made by orgTreeOn

// orgTreeOn makes the org tree of orgTree through a node's API.
func orgTreeOn(t testing.TB, p *proc) {
	t.Helper()
	for _, r := range []struct {
		path string
		body map[string]string
	}{
		{"/api/v1/townships", map[string]string{"code": "450206100", "name": "拉堡镇"}},
		{"/api/v1/townships", map[string]string{"code": "450206101", "name": "进德镇"}},
		{"/api/v1/villages", map[string]string{"code": "450206100001", "name": "龙山村", "township_code": "450206100"}},
		{"/api/v1/villages", map[string]string{"code": "450206101001", "name": "江口村", "township_code": "450206101"}},
		{"/api/v1/schools", map[string]string{"code": "S100", "name": "拉堡镇中心小学", "type": "primary", "township_code": "450206100"}},
		{"/api/v1/schools", map[string]string{"code": "S101", "name": "进德镇初级中学", "type": "junior", "township_code": "450206101"}},
	} {
		p.mustAPI(t, "POST", r.path, r.body, 201, nil)
	}
	// Each township's officer: a township node takes writes only from its
	// own township's users (store.Reach), so the harness writes on one as
	// its officer (proc.api).
	for _, code := range []string{"450206100", "450206101"} {
		p.mustAPI(t, "POST", "/api/v1/users", map[string]string{"username": townOfficer(code), "password": adminPassword,
			"display_name": "镇干部", "role": "officer", "line": "government", "scope": "township:" + code}, 201, nil)
	}
}

// townOfficer is the username of township code's officer (orgTreeOn).
func townOfficer(code string) string { return "zhen" + code }

// clusterChild is a valid new child numbered n (any n ≥ 0; distinct n give
// distinct ID numbers and names).
func clusterChild(t testing.TB, n int, school string, grade int) map[string]any {
	birth := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n/900).Format("20060102")
	seq := 100 + n%900
	gender := map[bool]string{true: "M", false: "F"}[seq%2 == 1]
	village := "450206100001"
	if school == "S101" {
		village = "450206101001"
	}
	return map[string]any{"name": fmt.Sprintf("覃小%d", n), "gender": gender, "id_number": idNumber(t, birth, seq),
		"ethnicity": "壮族", "village_code": village, "school_code": school, "grade": grade, "class": 1,
		"guardians": []map[string]string{{"name": "覃大", "relation": "父亲", "phone": "13900000000"}}}
}

// writeAnswer is what a write through the API answered.
type writeAnswer struct {
	Student store.Student `json:"student"`
	Command struct {
		ID     string `json:"id"`
		State  string `json:"state"`
		Reason string `json:"reason"`
	} `json:"command"`
}

// commandState is GET /api/v1/commands/{id} on p: applied, rejected,
// pending, or "" for a command p does not know.
func commandState(p *proc, id string) (state, reason string, err error) {
	code, raw, err := p.api(context.Background(), "GET", "/api/v1/commands/"+id, nil)
	if err != nil {
		return "", "", err
	}
	if code == 404 {
		return "", "", nil
	}
	if code != 200 {
		return "", "", fmt.Errorf("GET /api/v1/commands/%s on %s: HTTP %d %s", id, p.id, code, raw)
	}
	var out struct{ State, Reason string }
	err = json.Unmarshal(raw, &out)
	return out.State, out.Reason, err
}

// students lists every child on p (local read).
func students(t testing.TB, p *proc) []store.Student {
	t.Helper()
	var all []store.Student
	cursor := ""
	for {
		var pg page
		p.mustAPI(t, "GET", fmt.Sprintf("/api/v1/students?limit=%d&cursor=", store.MaxLimit)+cursor, nil, 200, &pg)
		all = append(all, pg.Items...)
		if pg.NextCursor == "" {
			return all
		}
		cursor = pg.NextCursor
	}
}

// TestTownshipPartition: a township non-voter cut off from every other node
// keeps serving reads and takes writes (pending); the bureau's side takes
// writes too; once the link heals every node holds the same register, each
// of the township's writes was applied exactly once (or, for an edit that
// conflicts with the bureau's, rejected with a reason the author sees), and
// none was lost.
func TestTownshipPartition(t *testing.T) {
	c := newCluster(t, fastTiming())
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	c.join(t, "v2", "", true)
	c.join(t, "v3", "", true)
	town := c.join(t, "lapu", townshipCode, false)
	var before [3]writeAnswer
	for i := range before {
		bureau.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 100+i, "S100", 3), 201, &before[i])
	}
	c.waitConverged(t, 30*time.Second)

	c.isolate(town)
	// Reads are local: the township still sees its register.
	var s store.Student
	town.mustAPI(t, "GET", "/api/v1/students/"+before[0].Student.ID, nil, 200, &s)
	if s.Name != before[0].Student.Name {
		t.Errorf("cut-off township reads %+v", s)
	}
	// Writes are queued in the outbox and answered 202 pending.
	var pendingIDs []string
	townWrite := func(method, path string, body map[string]any) string {
		t.Helper()
		id := NewCommandID()
		body["command_id"] = id
		var a writeAnswer
		town.mustAPI(t, method, path, body, 202, &a)
		if a.Command.ID != id || a.Command.State != "pending" {
			t.Fatalf("%s %s on the cut-off township answered %+v, want %s pending", method, path, a.Command, id)
		}
		pendingIDs = append(pendingIDs, id)
		return id
	}
	for i := range 5 {
		townWrite("POST", "/api/v1/students", clusterChild(t, 200+i, "S100", 2))
	}
	townWrite("PATCH", "/api/v1/students/"+before[0].Student.ID, map[string]any{"version": 1, "household": "镇上改的"})
	conflict := townWrite("PATCH", "/api/v1/students/"+before[1].Student.ID, map[string]any{"version": 1, "household": "镇上改的"})
	for _, id := range pendingIDs {
		if st, _, err := commandState(town, id); err != nil || st != "pending" {
			t.Errorf("command %s on the township: %q, %v; want pending", id, st, err)
		}
	}
	// Meanwhile the bureau's side goes on, including an edit of the same
	// record at the same version.
	for i := range 5 {
		bureau.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 300+i, "S101", 8), 201, nil)
	}
	bureau.mustAPI(t, "PATCH", "/api/v1/students/"+before[1].Student.ID, map[string]any{"version": 1, "household": "区里改的"}, 200, nil)
	st, err := town.sync()
	if err != nil {
		t.Fatal(err)
	}
	if st.Outbox.Pending != len(pendingIDs) {
		t.Errorf("township outbox: %d pending, want %d", st.Outbox.Pending, len(pendingIDs))
	}
	time.Sleep(2 * time.Second) // a while apart, as a township would be

	c.heal()
	c.waitConverged(t, 60*time.Second)

	for _, id := range pendingIDs {
		want := "applied"
		if id == conflict {
			want = "rejected"
		}
		for _, p := range c.running() {
			state, reason, err := commandState(p, id)
			if err != nil || state != want || (want == "rejected" && reason == "") {
				t.Errorf("command %s on %s: %q (%q), %v; want %s", id, p.id, state, reason, err, want)
			}
		}
	}
	if st, err := town.sync(); err != nil || st.Outbox.Pending != 0 || st.Outbox.Rejected != 1 {
		t.Errorf("township outbox after healing: %+v, %v; want 0 pending and the conflict in needs-attention", st.Outbox, err)
	}
	// Every child once: 3 before, 5 from each side.
	all := students(t, bureau)
	names := map[string]int{}
	for _, s := range all {
		names[s.Name]++
	}
	for i := range 5 {
		for _, n := range []int{200 + i, 300 + i} {
			if k := names[fmt.Sprintf("覃小%d", n)]; k != 1 {
				t.Errorf("child %d is in the register %d times", n, k)
			}
		}
	}
	if len(all) != 13 {
		t.Errorf("%d children in the register, want 13", len(all))
	}
	// The township's edit applied once; the conflicting one did not apply.
	var got store.Student
	bureau.mustAPI(t, "GET", "/api/v1/students/"+before[0].Student.ID, nil, 200, &got)
	if got.Household != "镇上改的" || got.Version != 2 {
		t.Errorf("child edited on the township: household %q version %d, want 镇上改的 at 2", got.Household, got.Version)
	}
	bureau.mustAPI(t, "GET", "/api/v1/students/"+before[1].Student.ID, nil, 200, &got)
	if got.Household != "区里改的" || got.Version != 2 {
		t.Errorf("child edited on both sides: household %q version %d, want the bureau's 区里改的 at 2", got.Household, got.Version)
	}
}

// TestLeaderKilledDuringWrites: SIGKILL the leader while clients write
// through every node. Every write answered applied is on every node after
// recovery, a new leader is elected at once, the old one rejoins, and each
// write resent with its command id after recovery is applied exactly once.
func TestLeaderKilledDuringWrites(t *testing.T) {
	c := newCluster(t, fastTiming())
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	c.join(t, "v2", "", true)
	c.join(t, "v3", "", true)
	c.join(t, "lapu", townshipCode, false)
	old := c.waitLeader(t, 10*time.Second)

	type write struct {
		seq  int
		id   string
		body map[string]any
		code int
		ans  writeAnswer
		p    *proc // the node it was sent to
	}
	var (
		mu        sync.Mutex
		writes    []*write
		next      atomic.Int64
		killed    atomic.Bool
		afterKill atomic.Int64 // writes applied after the kill
	)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				seq := int(next.Add(1))
				wr := &write{seq: seq, id: NewCommandID(), body: clusterChild(t, seq, "S100", 1+seq%6)}
				wr.body["command_id"] = wr.id
				nodes := c.running()
				p := nodes[(w+seq)%len(nodes)]
				wr.p = p
				code, raw, err := p.api(ctx, "POST", "/api/v1/students", wr.body)
				if err == nil {
					wr.code = code
					json.Unmarshal(raw, &wr.ans)
				}
				if code == 201 && killed.Load() {
					afterKill.Add(1)
				}
				mu.Lock()
				writes = append(writes, wr)
				mu.Unlock()
				if err != nil || code >= 500 {
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	time.Sleep(2 * time.Second)
	killed.Store(true)
	old.kill(t)
	killedAt := time.Now()
	leader := c.waitLeader(t, 15*time.Second)
	if leader == old {
		t.Fatalf("%s still leads after being killed", old.id)
	}
	t.Logf("%s killed; %s leads %.1fs later", old.id, leader.id, time.Since(killedAt).Seconds())
	wg.Wait()
	if afterKill.Load() == 0 {
		t.Error("no write was applied after the leader was killed")
	}

	old.restart(t)
	c.waitConverged(t, 60*time.Second)
	var applied, other int
	for _, wr := range writes {
		if wr.code == 201 && wr.ans.Command.State == "applied" {
			applied++
			for _, p := range c.running() {
				if st, _, err := commandState(p, wr.id); err != nil || st != "applied" {
					t.Errorf("write %d answered applied by the API is %q on %s (%v)", wr.seq, st, p.id, err)
				}
			}
		} else {
			other++
		}
	}
	t.Logf("%d writes: %d answered applied, %d pending, failed or unanswered", len(writes), applied, other)
	if applied == 0 {
		t.Fatal("no write was answered applied")
	}
	// The client resends every write it has no result for, through the
	// node it used (as the same user: a township node's writes are its
	// officer's); each is applied once in all.
	for _, wr := range writes {
		if wr.code == 201 {
			continue
		}
		code, raw, err := wr.p.api(context.Background(), "POST", "/api/v1/students", wr.body)
		if err != nil || (code != 201 && code != 202) {
			t.Errorf("resending write %d: HTTP %d %s %v", wr.seq, code, raw, err)
		}
	}
	c.waitConverged(t, 60*time.Second)
	for _, p := range c.running() {
		all := students(t, p)
		if len(all) != len(writes) {
			t.Errorf("%s has %d children after resending, want %d (one per write)", p.id, len(all), len(writes))
		}
	}
}

// TestResendAppliesOnce: a client that got no answer resends the same
// command to the same node or to another; the register applies it once,
// and the township's later commands are not held up by it.
func TestResendAppliesOnce(t *testing.T) {
	c := newCluster(t, fastTiming())
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	v2 := c.join(t, "v2", "", true)
	town := c.join(t, "lapu", townshipCode, false)
	c.waitConverged(t, 30*time.Second)

	// 1. Through a follower, with the client's timeout shorter than the
	// round trip to the leader: the client gives up, then resends to the
	// same node and to the leader.
	for _, q := range c.nodes {
		q.proxy.Delay(600 * time.Millisecond)
	}
	first := clusterChild(t, 1, "S100", 3)
	first["command_id"] = "resend-1"
	short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	if _, _, err := v2.api(short, "POST", "/api/v1/students", first); err == nil {
		t.Log("the first send was answered within 200ms (no timeout); resending anyway")
	}
	cancel()
	for _, q := range c.nodes {
		q.proxy.Delay(0)
	}
	for _, p := range []*proc{v2, bureau, v2} {
		var a writeAnswer
		code, raw, err := p.api(context.Background(), "POST", "/api/v1/students", first)
		if err != nil || (code != 201 && code != 202) {
			t.Fatalf("resend to %s: HTTP %d %s %v", p.id, code, raw, err)
		}
		json.Unmarshal(raw, &a)
		if a.Command.ID != "resend-1" || a.Command.State == "rejected" {
			t.Errorf("resend to %s answered %+v", p.id, a.Command)
		}
	}

	// 2. On a cut-off township: the command waits in its outbox; the author
	// resends it to the township and, by phone, has the bureau enter it
	// with the same command id. A later township write follows it.
	c.isolate(town)
	second := clusterChild(t, 2, "S100", 3)
	second["command_id"] = "resend-2"
	third := clusterChild(t, 3, "S100", 3)
	third["command_id"] = "resend-3"
	town.mustAPI(t, "POST", "/api/v1/students", second, 202, nil)
	town.mustAPI(t, "POST", "/api/v1/students", second, 202, nil)
	town.mustAPI(t, "POST", "/api/v1/students", third, 202, nil)
	bureau.mustAPI(t, "POST", "/api/v1/students", second, 201, nil)
	c.heal()
	c.waitConverged(t, 60*time.Second)

	for _, id := range []string{"resend-1", "resend-2", "resend-3"} {
		for _, p := range c.running() {
			if st, reason, err := commandState(p, id); err != nil || st != "applied" {
				t.Errorf("%s on %s: %q %q %v; want applied", id, p.id, st, reason, err)
			}
		}
	}
	if st, err := town.sync(); err != nil || st.Outbox.Pending != 0 || st.Outbox.Rejected != 0 {
		t.Errorf("township outbox: %+v %v; want empty, nothing rejected", st.Outbox, err)
	}
	for _, p := range c.running() {
		if n := len(students(t, p)); n != 3 {
			t.Errorf("%s has %d children, want 3", p.id, n)
		}
	}
}

// TestSnapshotCatchUp: a township away for longer than the trailing log
// catches up by a snapshot from the leader.
func TestSnapshotCatchUp(t *testing.T) {
	tm := fastTiming()
	tm.TrailingLogs, tm.SnapshotThreshold, tm.SnapshotInterval = 20, 40, 100*time.Millisecond
	c := newCluster(t, tm)
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	town := c.join(t, "lapu", townshipCode, false)
	c.waitConverged(t, 30*time.Second)
	if n := snapshots(t, town); n != 0 {
		t.Fatalf("township has %d snapshots before it was away", n)
	}
	start, err := town.digest()
	if err != nil {
		t.Fatal(err)
	}

	c.isolate(town)
	const writes = 150
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)); i <= writes; i = int(next.Add(1)) {
				code, raw, err := bureau.api(context.Background(), "POST", "/api/v1/students", clusterChild(t, i, "S100", 4))
				if err != nil || code != 201 {
					t.Errorf("write %d: HTTP %d %s %v", i, code, raw, err)
				}
			}
		}()
	}
	wg.Wait()
	// The bureau compacts its log past what the township has.
	waitFor(t, 20*time.Second, "a snapshot on the bureau", func() error {
		if n := snapshots(t, bureau); n == 0 {
			return fmt.Errorf("no snapshot yet")
		}
		return nil
	})
	if d, _ := town.digest(); d != start {
		t.Errorf("the cut-off township's register changed: %+v, was %+v", d, start)
	}

	c.heal()
	d := c.waitConverged(t, 60*time.Second)
	if n := snapshots(t, town); n == 0 {
		t.Error("the township caught up without installing a snapshot")
	}
	if d.AppliedIndex < start.AppliedIndex+writes {
		t.Errorf("applied index %d, want at least %d", d.AppliedIndex, start.AppliedIndex+writes)
	}
	if n := len(students(t, town)); n != writes {
		t.Errorf("township has %d children, want %d", n, writes)
	}
}

// snapshots counts the Raft snapshots in p's data directory.
func snapshots(t testing.TB, p *proc) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(p.dataDir, "raft", "snapshots"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return len(slices.DeleteFunc(entries, func(e os.DirEntry) bool { return !e.IsDir() || filepath.Ext(e.Name()) == ".tmp" }))
}

// TestProcessKilledKeepsAppliedWrites: a write answered applied survives
// SIGKILL of its node (a power cut); the node restarts with only --data.
func TestProcessKilledKeepsAppliedWrites(t *testing.T) {
	c := newCluster(t, fastTiming())
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	var a writeAnswer
	bureau.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 1, "S100", 3), 201, &a)
	before, err := bureau.digest()
	if err != nil {
		t.Fatal(err)
	}
	bureau.kill(t)
	bureau.restart(t)
	var s store.Student
	bureau.mustAPI(t, "GET", "/api/v1/students/"+a.Student.ID, nil, 200, &s)
	if s.Name != a.Student.Name || s.Version != 1 {
		t.Errorf("after SIGKILL and restart: %+v", s)
	}
	waitFor(t, 10*time.Second, "the register as before the kill", func() error {
		if after, err := bureau.digest(); err != nil || after.SHA256 != before.SHA256 {
			return fmt.Errorf("digest %+v (%v), was %+v", after, err, before)
		}
		return nil
	})
	bureau.stop(t)
	bureau.restart(t)
	bureau.waitLeading(t, 10*time.Second)
	bureau.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 2, "S100", 3), 201, nil)
}

// TestLossyTownshipLink: over a slow link that keeps breaking connections
// (150ms each way; 5% of the chunks forwarded break their connection, so
// replies are lost and requests resent), every write made on the township
// is applied exactly once and the township converges.
func TestLossyTownshipLink(t *testing.T) {
	c := newCluster(t, fastTiming())
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	town := c.join(t, "lapu", townshipCode, false)
	c.waitConverged(t, 30*time.Second)

	// The township's link both ways: into its cluster port, and from it
	// into the bureau's.
	town.proxy.Delay(150 * time.Millisecond)
	town.proxy.DropRate(0.05)
	bureau.proxy.Delay(150 * time.Millisecond)
	bureau.proxy.DropRate(0.05)

	const writes = 40
	ids := make([]string, writes)
	answered := map[int]int{}
	for i := range writes {
		body := clusterChild(t, 700+i, "S100", 2)
		ids[i] = NewCommandID()
		body["command_id"] = ids[i]
		code, raw, err := town.api(context.Background(), "POST", "/api/v1/students", body)
		if err != nil || (code != 201 && code != 202) {
			t.Fatalf("write %d on the township: HTTP %d %s %v", i, code, raw, err)
		}
		answered[code]++
	}
	t.Logf("township writes answered: %v (201 applied, 202 pending)", answered)
	if _, out := town.proxy.Bytes(); out == 0 {
		t.Fatal("no bytes through the township's proxy: the test does not test the link")
	}
	c.waitConverged(t, 90*time.Second)
	for _, id := range ids {
		for _, p := range c.running() {
			if st, reason, err := commandState(p, id); err != nil || st != "applied" {
				t.Errorf("%s on %s: %q %q %v; want applied", id, p.id, st, reason, err)
			}
		}
	}
	for _, p := range c.running() {
		if n := len(students(t, p)); n != writes {
			t.Errorf("%s has %d children, want %d", p.id, n, writes)
		}
	}
	if st, err := town.sync(); err != nil || st.Outbox.Pending != 0 || st.Outbox.Rejected != 0 {
		t.Errorf("township outbox: %+v %v; want empty, nothing rejected", st.Outbox, err)
	}
	t.Logf("connections accepted by the township's proxy: %d, by the bureau's: %d", town.proxy.Accepted(), bureau.proxy.Accepted())
}

// TestTownshipSendsWhenLinkReturns: while the leader is unreachable a
// township's forwarder backs off (here 30 to 60 seconds, as between tries
// on a link that is down for hours); when the link comes back it sends what
// it took at once, because Raft tells it of the leader, not when the
// backoff ends.
func TestTownshipSendsWhenLinkReturns(t *testing.T) {
	tm := fastTiming()
	tm.Extra = "--raft-forward-retry-min 30s --raft-forward-retry-max 60s"
	c := newCluster(t, tm)
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	town := c.join(t, "lapu", townshipCode, false)
	c.waitConverged(t, 30*time.Second)

	c.isolate(town)
	time.Sleep(2 * time.Second) // past the heartbeat timeout: the township knows no leader
	id := NewCommandID()
	body := clusterChild(t, 1, "S100", 3)
	body["command_id"] = id
	town.mustAPI(t, "POST", "/api/v1/students", body, 202, nil)
	time.Sleep(time.Second) // the forwarder has tried, failed and backs off
	if st, _, err := commandState(town, id); err != nil || st != "pending" {
		t.Fatalf("write on the cut-off township: %q, %v; want pending", st, err)
	}

	healed := time.Now()
	c.heal()
	waitFor(t, 10*time.Second, "the township's write to be applied after the link came back", func() error {
		st, reason, err := commandState(town, id)
		if err == nil && st != "applied" {
			err = fmt.Errorf("%s %s", st, reason)
		}
		return err
	})
	t.Logf("applied %v after the link came back (backoff at least 30s)", time.Since(healed).Round(10*time.Millisecond))
}

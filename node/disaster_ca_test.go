package node

// The disasters of README "When things break" that lose the bureau's node,
// which holds the cluster CA key, on real node processes (harness_test.go).

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baoxue/sync/pki"

	bolt "go.etcd.io/bbolt"
)

// leaderAmong waits until one of ps leads and the others name it.
func leaderAmong(t testing.TB, timeout time.Duration, ps ...*proc) *proc {
	t.Helper()
	var leader *proc
	waitFor(t, timeout, "a leader among the living voters", func() error {
		leader = nil
		named := map[string]bool{}
		for _, p := range ps {
			s, err := p.sync()
			if err != nil {
				return err
			}
			named[s.LeaderID] = true
			if s.RaftState == "Leader" {
				leader = p
			}
		}
		if leader == nil || len(named) != 1 {
			return fmt.Errorf("leaders named: %v", named)
		}
		return nil
	})
	return leader
}

// waitVoter waits until p lists node id as a voter (want) or not.
func waitVoter(t testing.TB, p *proc, id string, want bool) {
	t.Helper()
	waitFor(t, 60*time.Second, fmt.Sprintf("%s to list %s as voter=%v", p.id, id, want), func() error {
		n, err := p.clusterNode(id)
		if err != nil {
			return err
		}
		if n.Voter != want {
			return fmt.Errorf("%s: %+v", id, n)
		}
		return nil
	})
}

// replaceDisk stands for a new machine at p's addresses: p's data directory
// is gone and the backup archive is restored in its place; it returns what
// `baoxue restore` said.
func replaceDisk(t testing.TB, p *proc, archive string) string {
	t.Helper()
	if err := os.RemoveAll(p.dataDir); err != nil {
		t.Fatal(err)
	}
	return baoxueCmd(t, "", "restore", "--in", archive, "--data", p.dataDir)
}

// restoredState digests what a refused start of a restored node must not
// change: the register's content, Raft's files and the restore mark
// (local.db keeps the node's settings, which every start saves; opening
// the register commits an empty transaction).
func restoredState(t testing.TB, dataDir string) string {
	t.Helper()
	h := sha256.New()
	db, err := bolt.Open(filepath.Join(dataDir, "register.db"), 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return digestBucket(h, name, b) })
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dataDir, path)
		if rel != "restored.json" && !strings.HasPrefix(rel, "raft"+string(filepath.Separator)) {
			return nil
		}
		raw, err := os.ReadFile(path)
		fmt.Fprintf(h, "%s %d %x\n", rel, len(raw), sha256.Sum256(raw))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// digestBucket writes b's keys and values, nested buckets included, to h.
func digestBucket(h io.Writer, name []byte, b *bolt.Bucket) error {
	fmt.Fprintf(h, "bucket %x\n", name)
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			return digestBucket(h, k, b.Bucket(k))
		}
		_, err := fmt.Fprintf(h, "%x=%x\n", k, v)
		return err
	})
}

// startRefused starts p, restored from a backup, and checks that serve
// refuses it: it exits non-zero within a minute saying each of says,
// without starting Raft (no vote, no election) or changing the register,
// Raft's files or the restore mark.
func startRefused(t testing.TB, p *proc, says ...string) {
	t.Helper()
	before, off := restoredState(t, p.dataDir), p.out.len()
	if _, err := os.Stat(filepath.Join(p.dataDir, "restored.json")); err != nil {
		t.Errorf("no restore mark before the start: %v", err)
	}
	p.start(t)
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("the restored %s still runs after 60 s: it should have been refused\n%s", p.id, p.out.tail(20))
	}
	p.mu.Lock()
	code := p.cmd.ProcessState.ExitCode()
	p.mu.Unlock()
	p.kill(t) // forget the exited process
	out := p.out.since(off)
	if code == 0 {
		t.Errorf("the refused start of %s exited 0", p.id)
	}
	for _, s := range says {
		if !strings.Contains(out, s) {
			t.Errorf("the refused start of %s does not say %q:\n%s", p.id, s, out)
		}
	}
	for _, s := range []string{"raft started", "entering candidate state", "initial configuration"} {
		if strings.Contains(out, s) {
			t.Errorf("the refused start of %s started Raft (%q):\n%s", p.id, s, out)
		}
	}
	if after := restoredState(t, p.dataDir); after != before {
		t.Errorf("the refused start of %s changed its register, Raft files or restore mark", p.id)
	}
}

// wantChildren checks how many times each child is in each node's register.
func wantChildren(t testing.TB, want map[int]int, ps ...*proc) {
	t.Helper()
	for n, k := range want {
		for _, p := range ps {
			if got := childCount(t, p, n); got != k {
				t.Errorf("child %d is %d times in %s's register, want %d", n, got, p.id, k)
			}
		}
	}
}

// TestBureauNodeDies: the bureau's node (a voter and the CA) dies while two
// other voters live. The district keeps working: a living voter leads and
// takes writes, and a township's outbox drains to it. Its last backup is
// restored on a new machine at its addresses; started before it is
// demoted, serve refuses it (it cannot reach the living voters; they
// still count it as a voter), saying what to run, and starts no Raft and
// changes nothing. It is then replaced as README says: demoted on a living
// voter, started, promoted once it has caught up. Nothing committed is lost (not what was committed after
// the backup either), and a new township joins through it.
func TestBureauNodeDies(t *testing.T) {
	c := newCluster(t, fastTiming())
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	v2 := c.join(t, "v2", "", true)
	v3 := c.join(t, "v3", "", true)
	town := c.join(t, "lapu", townshipCode, false)
	for i := range 3 {
		townWrite(t, town, 100+i, 201)
	}
	c.waitConverged(t, 60*time.Second)
	archive := backupOf(t, bureau, t.TempDir())
	bureau.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 200, "S100", 3), 201, nil) // after the backup
	townWrite(t, town, 201, 201)
	c.isolate(town)
	townWrite(t, town, 300, 202) // in the township's outbox when the bureau dies
	townWrite(t, town, 301, 202)

	bureau.kill(t)
	leader := leaderAmong(t, 30*time.Second, v2, v3)
	leader.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 400, "S100", 3), 201, nil)
	c.heal()
	waitFor(t, 60*time.Second, "the township's outbox to drain to "+leader.id, func() error {
		s, err := town.sync()
		if err != nil || s.Outbox.Pending != 0 || childCount(t, leader, 301) != 1 {
			return fmt.Errorf("outbox %+v, %v", s.Outbox, err)
		}
		return nil
	})

	if out := replaceDisk(t, bureau, archive); !strings.Contains(out, "WARNING: it was a voter") {
		t.Errorf("restore of a voter among others gave no warning: %s", out)
	}
	// Started before it is demoted, the restored voter is refused: while it
	// cannot ask the living voters, and when they still count it.
	c.isolate(bureau)
	startRefused(t, bureau, "none of the backup's other voters answered", "--restored-demoted", "baoxue recover")
	c.heal()
	startRefused(t, bureau, "still lists it as a voter", "POST /api/v1/cluster/nodes/bureau/demote")
	if now := leaderAmong(t, 30*time.Second, v2, v3); now != leader {
		t.Errorf("leadership moved from %s to %s while the restored voter was refused", leader.id, now.id)
	}
	other := map[*proc]*proc{v2: v3, v3: v2}[leader] // a living voter that does not lead
	other.mustAPI(t, "POST", "/api/v1/cluster/nodes/bureau/demote", nil, 200, nil)
	waitVoter(t, leader, "bureau", false)
	bureau.restart(t)
	c.waitConverged(t, 60*time.Second)
	if _, err := os.Stat(filepath.Join(bureau.dataDir, "restored.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the restore mark after the demoted node started: %v", err)
	}
	leader.mustAPI(t, "POST", "/api/v1/cluster/nodes/bureau/promote", nil, 200, nil)
	waitVoter(t, v2, "bureau", true)
	waitVoter(t, v3, "bureau", true)

	jinde := c.join(t, "jinde", "450206101", false) // the token names the restored CA node
	jinde.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 500, "S101", 8), 201, nil)
	bureau.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 600, "S100", 3), 201, nil)
	c.waitConverged(t, 60*time.Second)
	wantChildren(t, map[int]int{100: 1, 101: 1, 102: 1, 200: 1, 201: 1, 300: 1, 301: 1, 400: 1, 500: 1, 600: 1},
		bureau, v2, v3, town, jinde)
}

// TestCANodeLost: the bureau's node, the district's only voter and the
// holder of the CA key, is lost with its disk. Its last backup, restored on
// a new machine at its addresses, leads at once (the restore mark asks no
// one: there is no other voter), with the register as the
// backup held it (the township's write applied after the backup is lost
// everywhere, as README says); the township works on with it and the
// write waiting in its outbox is applied once; a new township joins with a
// token the restored CA key signs; and a township whose certificate is due
// is renewed by the restored CA node.
func TestCANodeLost(t *testing.T) {
	c := newCluster(t, fastTiming())
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	town := c.join(t, "lapu", townshipCode, false)
	townWrite(t, town, 100, 201)
	c.waitConverged(t, 60*time.Second)
	archive := backupOf(t, bureau, t.TempDir())
	townWrite(t, town, 150, 201) // applied after the backup: lost with the bureau's disk
	c.isolate(town)
	townWrite(t, town, 200, 202) // waits in the township's outbox

	bureau.kill(t)
	town.stop(t)
	if out := replaceDisk(t, bureau, archive); !strings.Contains(out, "only voter") {
		t.Errorf("restore of the sole voter said: %s", out)
	}
	// The township's certificate expires in ten minutes: due for renewal.
	ca, err := tls.LoadX509KeyPair(filepath.Join(bureau.dataDir, "tls", "ca.crt"), filepath.Join(bureau.dataDir, "tls", "ca.key"))
	if err != nil {
		t.Fatalf("the restored CA key: %v", err)
	}
	due := caIssuedCert(t, bureau.dataDir, "lapu", time.Now(), 10*time.Minute)
	if err := pki.WriteNodeFiles(town.dataDir, ca.Certificate[0], due.PrivateKey.(*ecdsa.PrivateKey), due.Certificate[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(bureau.dataDir, "restored.json")); err != nil {
		t.Errorf("restore left no restore mark: %v", err)
	}
	c.heal()
	start := time.Now()
	bureau.restart(t)
	bureau.waitLeading(t, 10*time.Second)
	t.Logf("the restored CA node leads %s after its start", time.Since(start).Round(time.Millisecond))
	if _, err := os.Stat(filepath.Join(bureau.dataDir, "restored.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the restore mark after the sole voter started: %v", err)
	}
	if out := bureau.out.tail(400); !strings.Contains(out, "RESTORED FROM A BACKUP as the only voter") {
		t.Errorf("the restored sole voter started without its warning")
	}
	town.restart(t)
	waitFor(t, 90*time.Second, "lapu's certificate renewed by the restored CA node", func() error {
		// pki.Load finds a matching pair while the renewal writes the
		// new key and then the new certificate.
		id, err := pki.Load(town.dataDir)
		if err != nil {
			return err
		}
		if got := id.Certificate(); time.Until(got.NotAfter) < 365*24*time.Hour {
			return fmt.Errorf("lapu's certificate expires %s", got.NotAfter)
		}
		return nil
	})
	c.waitConverged(t, 60*time.Second)

	jinde := c.join(t, "jinde", "450206101", false)
	jinde.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 300, "S101", 8), 201, nil)
	townWrite(t, town, 400, 201)
	c.waitConverged(t, 60*time.Second)
	wantChildren(t, map[int]int{100: 1, 150: 0, 200: 1, 300: 1, 400: 1}, bureau, town, jinde)
}

// TestCARotation: README "Certificates": `baoxue renew-ca` on the CA node,
// restarted; the township keeps the old ca.crt for a while and the two
// still replicate and forward both ways; once the new ca.crt is copied to
// the township and it is restarted, they still do, the old join token is
// refused and a new one admits a new node.
func TestCARotation(t *testing.T) {
	c := newCluster(t, fastTiming())
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	town := c.join(t, "lapu", townshipCode, false)
	var old struct{ Token string }
	bureau.mustAPI(t, "POST", "/api/v1/cluster/tokens", map[string]any{"voter": false, "ttl": "1h"}, 201, &old)
	townWrite(t, town, 100, 201)

	bureau.stop(t)
	if out := baoxueCmd(t, "", "renew-ca", "--data", bureau.dataDir); !strings.Contains(out, "now expires") {
		t.Errorf("renew-ca said: %s", out)
	}
	bureau.restart(t)
	bureau.waitLeading(t, 10*time.Second)
	townWrite(t, town, 200, 201) // the township still has the old ca.crt
	bureau.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 201, "S100", 3), 201, nil)
	c.waitConverged(t, 60*time.Second)

	town.stop(t)
	caCrt, err := os.ReadFile(filepath.Join(bureau.dataDir, "tls", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(town.dataDir, "tls", "ca.crt"), caCrt, 0o644); err != nil {
		t.Fatal(err)
	}
	town.restart(t)
	townWrite(t, town, 300, 201)
	c.waitConverged(t, 60*time.Second)

	p := c.newProc("stale", "450206101", false)
	p.start(t, "--node-id", p.id, "--http", p.httpAddr, "--cluster-addr", p.clusterAddr,
		"--cluster-advertise", p.proxy.Addr(), "--join", old.Token, "--township", p.township)
	select {
	case <-p.exited:
		if out := p.out.tail(5); !strings.Contains(out, "no certificate from the cluster CA") {
			t.Errorf("a join with a token made before the CA was renewed ended saying: %s", out)
		}
	case <-time.After(60 * time.Second):
		t.Error("a join with a token made before the CA was renewed is still running after 60 s")
	}
	jinde := c.join(t, "jinde", "450206101", false)
	jinde.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 400, "S101", 8), 201, nil)
	c.waitConverged(t, 60*time.Second)
	wantChildren(t, map[int]int{100: 1, 200: 1, 201: 1, 300: 1, 400: 1}, bureau, town, jinde)
}

package node

// The disasters of README "When things break" that lose the bureau's node,
// which holds the cluster CA key, on real node processes (harness_test.go).

import (
	"crypto/ecdsa"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baoxue/sync/pki"
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
// takes writes, and a township's outbox drains to it. The node is then
// replaced as README says: demoted on a living voter, its last backup
// restored on a new machine at its addresses, started, promoted once it
// has caught up. Nothing committed is lost (not what was committed after
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

	other := map[*proc]*proc{v2: v3, v3: v2}[leader] // a living voter that does not lead
	other.mustAPI(t, "POST", "/api/v1/cluster/nodes/bureau/demote", nil, 200, nil)
	waitVoter(t, leader, "bureau", false)
	if out := replaceDisk(t, bureau, archive); !strings.Contains(out, "WARNING: it was a voter") {
		t.Errorf("restore of a voter among others gave no warning: %s", out)
	}
	bureau.restart(t)
	c.waitConverged(t, 60*time.Second)
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
// a new machine at its addresses, leads at once, with the register as the
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
	c.heal()
	start := time.Now()
	bureau.restart(t)
	bureau.waitLeading(t, 10*time.Second)
	t.Logf("the restored CA node leads %s after its start", time.Since(start).Round(time.Millisecond))
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

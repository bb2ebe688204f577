package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"testing"
	"time"

	"baoxue/sync/pki"
)

// nodeCert reads the node certificate in dir's tls/.
func nodeCert(t testing.TB, dir string) *x509.Certificate {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "tls", "node.crt"), filepath.Join(dir, "tls", "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCertificateRenewal: a joined node renews its certificate from the CA
// node over the cluster port, with no token: the new certificate and key
// are on disk (a matching pair, issued by the cluster CA, for the same
// node), presented at once, and the node keeps replicating, forwarding
// writes and restarting with them.
func TestCertificateRenewal(t *testing.T) {
	bureau, err := clOpen(t, clusterTestConfig(t, t.TempDir(), "bureau"))
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, bureau, "admin", adminPassword)
	orgTree(admin)
	town, err := clJoin(t, "lapu", "450206100", clToken(t, admin, false))
	if err != nil {
		t.Fatal(err)
	}
	dir := town.cfg.DataDir
	before := nodeCert(t, dir)
	if err := town.Replicator().RenewCertificate(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := nodeCert(t, dir)
	ca, err := pki.Load(bureau.cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := ca.Verify(after); err != nil || id != "lapu" {
		t.Fatalf("renewed certificate: node %q, %v", id, err)
	}
	if after.SerialNumber.Cmp(before.SerialNumber) == 0 || after.NotBefore.Before(before.NotBefore) {
		t.Errorf("certificate not renewed: serial %v → %v, issued %v → %v", before.SerialNumber, after.SerialNumber, before.NotBefore, after.NotBefore)
	}
	// New connections present it at once, without a restart.
	conn, err := tls.Dial("tcp", town.Replicator().AdvertiseAddr(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := conn.ConnectionState().PeerCertificates[0].SerialNumber; got.Cmp(after.SerialNumber) != 0 {
		t.Errorf("lapu's cluster port presents serial %v, want the renewed %v", got, after.SerialNumber)
	}
	conn.Close()
	town2 := loginNode(t, town)
	town2.must("POST", "/api/v1/students", newChild(t, 1, "S100", 3), 201, nil)
	clSameRegister(t, bureau, town)
	if err := town.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	town, err = clOpen(t, testConfig(t, dir, false))
	if err != nil {
		t.Fatalf("restart with the renewed certificate: %v", err)
	}
	admin.must("POST", "/api/v1/students", newChild(t, 3, "S100", 3), 201, nil)
	clSameRegister(t, bureau, town)
}

func loginNode(t testing.TB, n *Node) *client { return login(t, n, "admin", adminPassword) }

func TestRenewalDue(t *testing.T) {
	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &x509.Certificate{NotBefore: issued, NotAfter: issued.AddDate(0, 0, 300)}
	for _, tc := range []struct {
		days int
		due  bool
	}{{0, false}, {199, false}, {201, true}, {400, true}} {
		if got := pki.RenewalDue(c, issued.AddDate(0, 0, tc.days)); got != tc.due {
			t.Errorf("day %d of 300: due %v, want %v", tc.days, got, tc.due)
		}
	}
}

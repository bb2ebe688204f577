package node

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net/http"
	"path/filepath"
	"strings"
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
	// A township node takes writes from its own township's users only.
	admin.must("POST", "/api/v1/users", map[string]string{"username": "zhen", "password": "town-pw-12",
		"display_name": "镇干部", "role": "officer", "line": "government", "scope": "township:450206100"}, 201, nil)
	clEventually(t, "lapu to know zhen", func() error { _, err := town.Store().User("zhen"); return err })
	town2 := login(t, town, "zhen", "town-pw-12")
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

// TestCertificateBeforeJoinRefused: a certificate the cluster CA issued for
// a node before the node's latest join (an earlier membership under the
// same id) is refused at the handshake; one issued at the join is not.
func TestCertificateBeforeJoinRefused(t *testing.T) {
	dir := t.TempDir()
	bureau, err := clOpen(t, clusterTestConfig(t, dir, "bureau"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		issued time.Time
		ok     bool
	}{{time.Now().Add(-2 * time.Hour), false}, {time.Now(), true}} {
		c, err := tls.Dial("tcp", bureau.Replicator().AdvertiseAddr(), &tls.Config{InsecureSkipVerify: true,
			Certificates: []tls.Certificate{caIssuedCert(t, dir, "bureau", tc.issued, 24*time.Hour)}})
		code := 0
		if err == nil {
			c.Write([]byte{'H'})
			code = rpcStatus(t, c, bufio.NewReader(c))
			c.Close()
		}
		if (code == 200) != tc.ok {
			t.Errorf("certificate for bureau issued at %s: HTTP %d, %v; want accepted %v", tc.issued.Format(time.TimeOnly), code, err, tc.ok)
		}
	}
}

// caIssuedCert is a certificate for cn signed with the cluster CA key in
// dir's tls/, issued at issued (backdated an hour, as pki.Sign does),
// expiring life after issued.
func caIssuedCert(t testing.TB, dir, cn string, issued time.Time, life time.Duration) tls.Certificate {
	t.Helper()
	ca, err := tls.LoadX509KeyPair(filepath.Join(dir, "tls", "ca.crt"), filepath.Join(dir, "tls", "ca.key"))
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(ca.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: issued.Add(-time.Hour), NotAfter: issued.Add(life), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, ca.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// rpcStatus sends a /cluster/status call on an open 'H' stream and returns
// the answer's status code (0 if none came).
func rpcStatus(t testing.TB, c *tls.Conn, r *bufio.Reader) int {
	t.Helper()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	req, _ := http.NewRequest("POST", "http://cluster/cluster/status", strings.NewReader("{}"))
	if err := req.Write(c); err != nil {
		return 0
	}
	resp, err := http.ReadResponse(r, req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestPeerCheckAtHandshake: a PeerCheck's refusal fails the TLS handshake on
// the side that asked it, server or client, and its acceptance lets the
// connection through.
func TestPeerCheckAtHandshake(t *testing.T) {
	dir := t.TempDir()
	if err := CreateCA(dir, "bureau"); err != nil {
		t.Fatal(err)
	}
	id, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	refuse := func(c *x509.Certificate) error { return errors.New("removed: " + c.Subject.CommonName) }
	for _, tc := range []struct {
		name           string
		server, client PeerCheck
		ok             bool
	}{
		{"both accept", nil, nil, true},
		{"server refuses the client", refuse, nil, false},
		{"client refuses the server", nil, refuse, false},
	} {
		ln, err := tls.Listen("tcp", "127.0.0.1:0", id.ServerConfig(tc.server))
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("ok"))
			c.Close()
		}()
		got := ""
		c, err := tls.Dial("tcp", ln.Addr().String(), id.ClientConfig(tc.client))
		if err == nil {
			b := make([]byte, 2)
			n, _ := c.Read(b)
			got = string(b[:n])
			c.Close()
		}
		ln.Close()
		if (got == "ok") != tc.ok {
			t.Errorf("%s: read %q, dial error %v; want through %v", tc.name, got, err, tc.ok)
		}
	}
}

// TestRenewCA: the renewed CA certificate lasts longer, keeps the cluster
// id, and certificates issued under either verify against the other, so
// nodes can take the new ca.crt one by one.
func TestRenewCA(t *testing.T) {
	dir := t.TempDir()
	if err := CreateCA(dir, "bureau"); err != nil {
		t.Fatal(err)
	}
	old, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	renewed, err := RenewCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := Load(dir)
	if err != nil {
		t.Fatalf("load with the renewed CA: %v", err)
	}
	if renewed.NotAfter.Before(old.CACert.NotAfter) || renewed.SerialNumber.Cmp(old.CACert.SerialNumber) == 0 || cur.ClusterID != old.ClusterID || cur.Fingerprint == old.Fingerprint {
		t.Errorf("renewed CA: expires %v (was %v), cluster %s (was %s), fingerprint changed %v",
			renewed.NotAfter, old.CACert.NotAfter, cur.ClusterID, old.ClusterID, cur.Fingerprint != old.Fingerprint)
	}
	_, csr, err := NewCSR("lapu")
	if err != nil {
		t.Fatal(err)
	}
	issuedOld, err := old.Sign(csr, "lapu")
	if err != nil {
		t.Fatal(err)
	}
	issuedNew, err := cur.Sign(csr, "lapu")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		by     *Identity
		issued []byte
	}{"old under new": {cur, issuedOld}, "new under old": {old, issuedNew}} {
		c, _ := x509.ParseCertificate(tc.issued)
		if id, err := tc.by.Verify(c); err != nil || id != "lapu" {
			t.Errorf("%s: %q, %v", name, id, err)
		}
	}
	if err := os.Remove(filepath.Join(dir, "tls", "ca.key")); err != nil {
		t.Fatal(err)
	}
	if _, err := RenewCA(dir); err == nil {
		t.Error("RenewCA without ca.key succeeded")
	}
}

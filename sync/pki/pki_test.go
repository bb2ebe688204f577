package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
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

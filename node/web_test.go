package node

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"baoxue/node/mdns"
	"baoxue/sync/pki"
)

// httpsClient trusts only the district CA in caPEM, as a school PC does
// once it has installed it.
func httpsClient(t testing.TB, caPEM []byte) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("not a PEM certificate: %.80q", caPEM)
	}
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// fetchCA downloads /ca.crt as a school PC does the first time, before it
// trusts the node (so without verifying it), and checks it is the
// cluster's CA.
func fetchCA(t testing.TB, n *Node, dataDir string) []byte {
	t.Helper()
	first := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := first.Get(n.URL() + "/ca.crt")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	caPEM, _ := io.ReadAll(resp.Body)
	id, err := pki.Load(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := pem.Decode(caPEM); resp.StatusCode != 200 || b == nil || pki.Fingerprint(b.Bytes) != id.Fingerprint {
		t.Fatalf("GET /ca.crt: HTTP %d %.80q; want the cluster CA", resp.StatusCode, caPEM)
	}
	return caPEM
}

// TestWebPortHTTPS: a node serves its pages over HTTPS with a certificate
// from the district CA for its addresses and .local name (the bootstrap
// node signs its own; a joined node gets one from the CA node), a school PC
// that has installed the district CA trusts it, cookies are Secure, and
// plain HTTP is not answered.
func TestWebPortHTTPS(t *testing.T) {
	dir := t.TempDir()
	cfg := clusterTestConfig(t, dir, "bureau")
	cfg.PlainHTTP = false
	bureau, err := clOpen(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(bureau.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL %s, want https://", bureau.URL())
	}
	caPEM := fetchCA(t, bureau, dir)
	pc := httpsClient(t, caPEM)

	resp, err := pc.Get(bureau.URL() + "/login")
	if err != nil {
		t.Fatalf("GET /login over HTTPS, trusting the district CA: %v", err)
	}
	resp.Body.Close()
	cert := resp.TLS.PeerCertificates[0]
	if !slices.Contains(cert.DNSNames, mdns.LocalHostName()) || !slices.Contains(cert.DNSNames, "localhost") {
		t.Errorf("web certificate names %v, want the .local name %s and localhost", cert.DNSNames, mdns.LocalHostName())
	}
	if len(resp.Cookies()) == 0 {
		t.Error("GET /login set no cookie (the form's CSRF token)")
	}
	for _, c := range resp.Cookies() {
		if !c.Secure {
			t.Errorf("cookie %s is not Secure", c.Name)
		}
	}
	if resp, err := http.Get(strings.Replace(bureau.URL(), "https://", "http://", 1) + "/healthz"); err == nil {
		if resp.StatusCode == 200 {
			t.Error("plain HTTP answered on the HTTPS port")
		}
		resp.Body.Close()
	}

	// A township joins: its web port has a certificate from the CA node.
	admin := loginWith(t, bureau, "admin", adminPassword, pc)
	orgTree(admin)
	townCfg := clusterTestConfig(t, filepath.Join(t.TempDir(), "lapu"), "lapu")
	townCfg.PlainHTTP, townCfg.JoinToken, townCfg.Township = false, clToken(t, admin, false), "450206100"
	town, err := clOpen(t, townCfg)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = pc.Get(town.URL() + "/healthz")
	if err != nil {
		t.Fatalf("the joined node's web port, trusting the district CA: %v", err)
	}
	resp.Body.Close()
	if got := resp.TLS.PeerCertificates[0].Subject.CommonName; got != "lapu" {
		t.Errorf("joined node's web certificate is for %q, want lapu", got)
	}
}

package pki

import (
	"crypto/x509"
	"errors"
	"net"
	"slices"
	"testing"
	"time"
)

// TestSignWeb: the CA signs a web certificate only for localhost, names
// under .local and host IP addresses — a school PC that trusts the district
// CA must not trust it for another site's name — and only for serving.
func TestSignWeb(t *testing.T) {
	dir := t.TempDir()
	if err := CreateCA(dir, "bureau"); err != nil {
		t.Fatal(err)
	}
	id, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		names WebNames
		ok    bool
	}{
		{WebNames{DNS: []string{"township-server.local", "localhost"}, IPs: []net.IP{net.ParseIP("10.0.0.5"), net.ParseIP("127.0.0.1")}}, true},
		{WebNames{IPs: []net.IP{net.ParseIP("fd00::5")}}, true},
		{WebNames{DNS: []string{"www.example.com"}}, false},
		{WebNames{DNS: []string{"bank.example.com.local.evil"}}, false},
		{WebNames{DNS: []string{"*.local"}}, false},
		{WebNames{DNS: []string{".local"}}, false},
		{WebNames{IPs: []net.IP{net.IPv4zero}}, false},
		{WebNames{}, false},
	} {
		_, csr, err := NewWebCSR("lapu", c.names)
		if err != nil {
			t.Fatal(err)
		}
		der, err := id.SignWeb(csr, "lapu")
		if !c.ok {
			if !errors.Is(err, ErrBadRequest) {
				t.Errorf("%+v: signed (%v), want ErrBadRequest", c.names, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", c.names, err)
			continue
		}
		cert, _ := x509.ParseCertificate(der)
		if cert.Subject.CommonName != "lapu" || !slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) ||
			cert.CheckSignatureFrom(id.CACert) != nil || !WebCovers(cert, c.names, time.Now()) || WebCovers(cert, c.names, time.Now().Add(800*24*time.Hour)) {
			t.Errorf("%+v: certificate %v %v %v", c.names, cert.Subject, cert.ExtKeyUsage, cert.NotAfter)
		}
	}
}

package pki

// The web port's certificate: issued by the cluster CA (the district CA a
// school PC installs once) for the node's addresses and its .local name,
// kept as DATA/tls/web.crt and web.key.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

const (
	webCertFile = "web.crt"
	webKeyFile  = "web.key"
	// webLifetime is the longest browsers accept for a server certificate
	// from any root (Apple's 825 days); webRenewBefore is when a node asks
	// for a new one at start.
	webLifetime    = 825 * 24 * time.Hour
	webRenewBefore = 60 * 24 * time.Hour
)

// WebNames are what a web certificate is for: IP addresses and DNS names,
// which the CA signs only as "localhost" or under ".local" (a school PC that
// trusts the district CA must not trust it for other sites' names).
type WebNames struct {
	DNS []string
	IPs []net.IP
}

// NewWebCSR makes a key and a certificate request for the node's web port.
func NewWebCSR(nodeID string, names WebNames) (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate web key: %w", err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: nodeID}, DNSNames: names.DNS, IPAddresses: names.IPs}, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create web certificate request: %w", err)
	}
	return key, csr, nil
}

// webName reports whether the CA signs a web certificate for DNS name n.
func webName(n string) bool {
	if n == "localhost" {
		return true
	}
	host, ok := strings.CutSuffix(strings.ToLower(n), ".local")
	if !ok || host == "" || len(n) > 253 {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// SignWeb issues a web server certificate for the request csr (DER): common
// name nodeID, the request's IP addresses and DNS names ("localhost" or
// under ".local" only), server authentication only. Errors: ErrNotCA
// without the CA key, ErrBadRequest for a request it will not sign.
func (c *Identity) SignWeb(csrDER []byte, nodeID string) ([]byte, error) {
	if c.caKey == nil {
		return nil, ErrNotCA
	}
	csr, err := x509.ParseCertificateRequest(csrDER)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate request: %v", ErrBadRequest, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: certificate request signature: %v", ErrBadRequest, err)
	}
	if len(csr.DNSNames)+len(csr.IPAddresses) == 0 || len(csr.DNSNames)+len(csr.IPAddresses) > 64 {
		return nil, fmt.Errorf("%w: a web certificate names 1 to 64 addresses", ErrBadRequest)
	}
	for _, n := range csr.DNSNames {
		if !webName(n) {
			return nil, fmt.Errorf("%w: %q: web certificates are only for localhost and names under .local", ErrBadRequest, n)
		}
	}
	for _, ip := range csr.IPAddresses {
		if ip.IsUnspecified() || ip.IsMulticast() {
			return nil, fmt.Errorf("%w: %s is not a host address", ErrBadRequest, ip)
		}
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: nodeID},
		DNSNames:     csr.DNSNames,
		IPAddresses:  csr.IPAddresses,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(webLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.CACert, csr.PublicKey, c.caKey)
	if err != nil {
		return nil, fmt.Errorf("sign web certificate: %w", err)
	}
	return der, nil
}

// WriteWebFiles stores the web port's key and certificate, the
// certificate last.
func WriteWebFiles(dataDir string, key *ecdsa.PrivateKey, certDER []byte) error {
	return writeKeyPair(dataDir, webKeyFile, webCertFile, key, certDER)
}

// LoadWeb reads the web port's certificate, if dataDir has one issued by
// the cluster CA ca. ok is false when there is none.
func LoadWeb(dataDir string, ca *x509.Certificate) (cert tls.Certificate, ok bool, err error) {
	dir := Dir(dataDir)
	certDER, err := readPEM(filepath.Join(dir, webCertFile), "CERTIFICATE")
	if os.IsNotExist(err) {
		return cert, false, nil
	}
	if err != nil {
		return cert, false, err
	}
	keyDER, err := readPEM(filepath.Join(dir, webKeyFile), "EC PRIVATE KEY")
	if err != nil {
		return cert, false, fmt.Errorf("read web key: %w", err)
	}
	key, err := x509.ParseECPrivateKey(keyDER)
	if err != nil {
		return cert, false, fmt.Errorf("parse web key: %w", err)
	}
	leaf, err := x509.ParseCertificate(certDER)
	if err != nil {
		return cert, false, fmt.Errorf("parse web certificate: %w", err)
	}
	if leaf.CheckSignatureFrom(ca) != nil {
		return cert, false, nil // from another CA (a re-made district): get a new one
	}
	return tls.Certificate{Certificate: [][]byte{certDER}, PrivateKey: key, Leaf: leaf}, true, nil
}

// WebCovers reports whether cert names every address of names and lasts
// beyond the renewal margin at now.
func WebCovers(cert *x509.Certificate, names WebNames, now time.Time) bool {
	if cert == nil || now.Add(webRenewBefore).After(cert.NotAfter) {
		return false
	}
	for _, n := range names.DNS {
		if !slices.Contains(cert.DNSNames, n) {
			return false
		}
	}
	for _, ip := range names.IPs {
		if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

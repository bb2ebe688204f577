// Package pki is a baoxue cluster's certificate authority and join tokens:
// the files under DATA/tls (the CA certificate, this node's key and
// certificate, and on the node that created the cluster the CA's key),
// issuing node certificates, the mutual-TLS configurations of the cluster
// port, and the token an administrator hands to a new node. It does no
// networking and knows nothing of Raft, so cmd can read a token without
// importing package sync. See sync/DESIGN.md, "The cluster CA and tokens".
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// Files under DataDir/tls. ca.key exists only on the node that created the
// cluster (--bootstrap): it is the one place join requests are signed, so a
// copy of any other node's data directory cannot mint new members.
const (
	tlsDirName   = "tls"
	caCertFile   = "ca.crt"
	caKeyFile    = "ca.key"
	nodeCertFile = "node.crt"
	nodeKeyFile  = "node.key"
)

// Certificate lifetimes. There is no renewal yet: a node certificate lasts
// as long as a township server is likely to, the CA longer.
const (
	caLifetime   = 30 * 365 * 24 * time.Hour
	nodeLifetime = 20 * 365 * 24 * time.Hour
)

// Identity is this node's cluster identity: the CA it trusts, its own
// certificate (issued by that CA, common name = node ID) and, on the node
// that created the cluster, the CA's key. Load reads it; it does not change
// after, and is safe for concurrent use.
type Identity struct {
	CACert      *x509.Certificate
	caKey       *ecdsa.PrivateKey // nil unless this node holds the CA key
	pool        *x509.CertPool
	cert        tls.Certificate // this node's certificate followed by the CA's
	NodeID      string
	ClusterID   string // the CA certificate's subject serial number
	Fingerprint string // hex SHA-256 of the CA certificate (DER)
}

// HoldsCA reports whether this node holds the CA's key and so can sign
// joining nodes' certificates.
func (c *Identity) HoldsCA() bool { return c.caKey != nil }

// Dir is the directory of the cluster files in dataDir.
func Dir(dataDir string) string { return filepath.Join(dataDir, tlsDirName) }

// Exists reports whether dataDir holds a node certificate (written last, so
// the directory is complete).
func Exists(dataDir string) bool {
	_, err := os.Stat(filepath.Join(Dir(dataDir), nodeCertFile))
	return err == nil
}

// Fingerprint is the hex SHA-256 of a certificate's DER bytes, as tokens
// pin the CA.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err)
	}
	return n
}

// CreateCA makes a new cluster CA and this node's certificate under
// dataDir/tls. It refuses to overwrite an existing CA.
func CreateCA(dataDir, nodeID string) error {
	dir := Dir(dataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create tls directory: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, caCertFile)); err == nil {
		return fmt.Errorf("%s exists already", filepath.Join(dir, caCertFile))
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "baoxue cluster CA", SerialNumber: randomHex(8)},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("create CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("parse CA certificate: %w", err)
	}
	nodeKey, csr, err := NewCSR(nodeID)
	if err != nil {
		return err
	}
	ca := &Identity{CACert: caCert, caKey: key}
	nodeDER, err := ca.Sign(csr, nodeID)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode CA key: %w", err)
	}
	// The CA key first and the node certificate last: Exists (the node
	// certificate) means the directory is complete.
	if err := writePEM(filepath.Join(dir, caKeyFile), "EC PRIVATE KEY", keyDER, 0o600); err != nil {
		return err
	}
	return WriteNodeFiles(dataDir, der, nodeKey, nodeDER)
}

// WriteNodeFiles stores the CA certificate and this node's key and
// certificate, the certificate last.
func WriteNodeFiles(dataDir string, caDER []byte, nodeKey *ecdsa.PrivateKey, nodeDER []byte) error {
	dir := Dir(dataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create tls directory: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(nodeKey)
	if err != nil {
		return fmt.Errorf("encode node key: %w", err)
	}
	if err := writePEM(filepath.Join(dir, caCertFile), "CERTIFICATE", caDER, 0o644); err != nil {
		return err
	}
	if err := writePEM(filepath.Join(dir, nodeKeyFile), "EC PRIVATE KEY", keyDER, 0o600); err != nil {
		return err
	}
	return writePEM(filepath.Join(dir, nodeCertFile), "CERTIFICATE", nodeDER, 0o644)
}

// writePEM writes one PEM block to path through a synced temporary file.
func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	err = pem.Encode(f, &pem.Block{Type: typ, Bytes: der})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func readPEM(path, typ string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(raw)
	if b == nil || b.Type != typ {
		return nil, fmt.Errorf("%s: no %s PEM block", path, typ)
	}
	return b.Bytes, nil
}

// Load reads this node's cluster identity from dataDir/tls. A missing
// node certificate is ErrNoCertificate.
func Load(dataDir string) (*Identity, error) {
	dir := Dir(dataDir)
	if !Exists(dataDir) {
		return nil, ErrNoCertificate
	}
	caDER, err := readPEM(filepath.Join(dir, caCertFile), "CERTIFICATE")
	if err != nil {
		return nil, fmt.Errorf("read CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	nodeDER, err := readPEM(filepath.Join(dir, nodeCertFile), "CERTIFICATE")
	if err != nil {
		return nil, fmt.Errorf("read node certificate: %w", err)
	}
	nodeCert, err := x509.ParseCertificate(nodeDER)
	if err != nil {
		return nil, fmt.Errorf("parse node certificate: %w", err)
	}
	keyDER, err := readPEM(filepath.Join(dir, nodeKeyFile), "EC PRIVATE KEY")
	if err != nil {
		return nil, fmt.Errorf("read node key: %w", err)
	}
	key, err := x509.ParseECPrivateKey(keyDER)
	if err != nil {
		return nil, fmt.Errorf("parse node key: %w", err)
	}
	c := &Identity{
		CACert:      caCert,
		pool:        x509.NewCertPool(),
		cert:        tls.Certificate{Certificate: [][]byte{nodeDER, caDER}, PrivateKey: key, Leaf: nodeCert},
		NodeID:      nodeCert.Subject.CommonName,
		ClusterID:   caCert.Subject.SerialNumber,
		Fingerprint: Fingerprint(caDER),
	}
	c.pool.AddCert(caCert)
	if _, err := c.Verify(nodeCert); err != nil {
		return nil, fmt.Errorf("node certificate: %w", err)
	}
	if caKeyDER, err := readPEM(filepath.Join(dir, caKeyFile), "EC PRIVATE KEY"); err == nil {
		if c.caKey, err = x509.ParseECPrivateKey(caKeyDER); err != nil {
			return nil, fmt.Errorf("parse CA key: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read CA key: %w", err)
	}
	return c, nil
}

// Verify checks that cert was issued by the cluster CA and returns the node
// ID it names (ErrUntrustedPeer otherwise). Host names are not checked:
// nodes are known by certificate, and the address dialled may be a proxy's.
func (c *Identity) Verify(cert *x509.Certificate) (string, error) {
	if _, err := cert.Verify(x509.VerifyOptions{Roots: c.pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return "", fmt.Errorf("%w: %v", ErrUntrustedPeer, err)
	}
	if cert.Subject.CommonName == "" {
		return "", fmt.Errorf("%w: certificate names no node", ErrUntrustedPeer)
	}
	return cert.Subject.CommonName, nil
}

// ServerConfig accepts clients with a certificate of the cluster CA and,
// for joins only, clients without one; the mux refuses raft and RPC streams
// from the latter.
func (c *Identity) ServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{c.cert},
		ClientCAs:    c.pool,
		ClientAuth:   tls.VerifyClientCertIfGiven,
	}
}

// ClientConfig presents this node's certificate and accepts a server whose
// certificate the cluster CA issued, whatever address was dialled.
func (c *Identity) ClientConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{c.cert},
		InsecureSkipVerify: true, // replaced by VerifyConnection: CA check without host names
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("%w: no certificate", ErrUntrustedPeer)
			}
			_, err := c.Verify(cs.PeerCertificates[0])
			return err
		},
	}
}

// NewCSR makes a key and a certificate request naming nodeID.
func NewCSR(nodeID string) (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate node key: %w", err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: nodeID}}, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate request: %w", err)
	}
	return key, csr, nil
}

// Sign issues a node certificate for the request csr (DER) and returns it
// (DER). The common name is nodeID whatever the request says: the join, not
// the requester, names the node. Errors: ErrNotCA without the CA key,
// ErrBadRequest for a request it cannot sign.
func (c *Identity) Sign(csrDER []byte, nodeID string) ([]byte, error) {
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
	if _, ok := csr.PublicKey.(*ecdsa.PublicKey); !ok {
		return nil, fmt.Errorf("%w: certificate request must use an ECDSA key", ErrBadRequest)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: nodeID},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(nodeLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.CACert, csr.PublicKey, c.caKey)
	if err != nil {
		return nil, fmt.Errorf("sign node certificate: %w", err)
	}
	return der, nil
}

// VerifyIssued checks that ca issued cert and returns the node ID cert
// names (ErrUntrustedPeer otherwise): a joining node's check of the
// certificate it is sent.
func VerifyIssued(ca, cert *x509.Certificate) (string, error) {
	c := &Identity{pool: x509.NewCertPool()}
	c.pool.AddCert(ca)
	return c.Verify(cert)
}

// VerifyPinned accepts a server chain that includes the CA certificate
// with the given fingerprint and whose leaf that CA issued
// (ErrUntrustedPeer otherwise): a joining node trusts only the CA its
// token pins.
func VerifyPinned(chain []*x509.Certificate, fingerprint string) error {
	if len(chain) == 0 {
		return fmt.Errorf("%w: no certificate", ErrUntrustedPeer)
	}
	for _, c := range chain[1:] {
		if Fingerprint(c.Raw) != fingerprint {
			continue
		}
		_, err := VerifyIssued(c, chain[0])
		return err
	}
	return fmt.Errorf("%w: the node's CA does not match the token's fingerprint", ErrUntrustedPeer)
}

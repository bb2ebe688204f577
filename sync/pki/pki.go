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
	"sync/atomic"
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

// Certificate lifetimes. A node renews its certificate when a third of its
// lifetime is left (sync/renew.go); the CA lasts longer and is renewed by
// hand (RenewCA).
const (
	caLifetime   = 30 * 365 * 24 * time.Hour
	nodeLifetime = 20 * 365 * 24 * time.Hour
)

// Identity is this node's cluster identity: the CA it trusts, its own
// certificate (issued by that CA, common name = node ID) and, on the node
// that created the cluster, the CA's key. Load reads it; only its
// certificate changes after (Renew). Safe for concurrent use.
type Identity struct {
	CACert      *x509.Certificate
	caKey       *ecdsa.PrivateKey // nil unless this node holds the CA key
	pool        *x509.CertPool
	cert        atomic.Pointer[tls.Certificate] // this node's certificate followed by the CA's
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
	if err := os.MkdirAll(Dir(dataDir), 0o700); err != nil {
		return fmt.Errorf("create tls directory: %w", err)
	}
	if err := writePEM(filepath.Join(Dir(dataDir), caCertFile), "CERTIFICATE", caDER, 0o644); err != nil {
		return err
	}
	return writeKeyPair(dataDir, nodeKeyFile, nodeCertFile, nodeKey, nodeDER)
}

// writeKeyPair stores a key and its certificate in DATA/tls, the
// certificate last, so that a certificate on disk always has its key.
func writeKeyPair(dataDir, keyFile, certFile string, key *ecdsa.PrivateKey, certDER []byte) error {
	dir := Dir(dataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create tls directory: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode %s: %w", keyFile, err)
	}
	if err := writePEM(filepath.Join(dir, keyFile), "EC PRIVATE KEY", keyDER, 0o600); err != nil {
		return err
	}
	return writePEM(filepath.Join(dir, certFile), "CERTIFICATE", certDER, 0o644)
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
	key, err := nodeKey(dir, nodeCert)
	if err != nil {
		return nil, err
	}
	c := &Identity{
		CACert:      caCert,
		pool:        x509.NewCertPool(),
		NodeID:      nodeCert.Subject.CommonName,
		ClusterID:   caCert.Subject.SerialNumber,
		Fingerprint: Fingerprint(caDER),
	}
	c.cert.Store(&tls.Certificate{Certificate: [][]byte{nodeDER, caDER}, PrivateKey: key, Leaf: nodeCert})
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

// PeerCheck is asked about every peer certificate the cluster CA issued, at
// the TLS handshake on both sides of a cluster connection; an error
// refuses the peer (a removed node, a revoked certificate). Nil checks
// nothing more.
type PeerCheck func(cert *x509.Certificate) error

// ServerConfig accepts clients with a certificate of the cluster CA that
// check accepts and, for joins only, clients without one; the mux refuses
// raft and RPC streams from the latter.
func (c *Identity) ServerConfig(check PeerCheck) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS13,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c.cert.Load(), nil },
		ClientCAs:      c.pool,
		ClientAuth:     tls.VerifyClientCertIfGiven,
		// Called after the chain was verified against the CA.
		VerifyPeerCertificate: func(_ [][]byte, chains [][]*x509.Certificate) error {
			if check == nil || len(chains) == 0 || len(chains[0]) == 0 {
				return nil
			}
			return check(chains[0][0])
		},
	}
}

// ClientConfig presents this node's certificate and accepts a server whose
// certificate the cluster CA issued, whatever address was dialled, if
// check accepts it.
func (c *Identity) ClientConfig(check PeerCheck) *tls.Config {
	return &tls.Config{
		MinVersion:           tls.VersionTLS13,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return c.cert.Load(), nil },
		InsecureSkipVerify:   true, // replaced by VerifyConnection: CA check without host names
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return fmt.Errorf("%w: no certificate", ErrUntrustedPeer)
			}
			if _, err := c.Verify(cs.PeerCertificates[0]); err != nil {
				return err
			}
			if check != nil {
				return check(cs.PeerCertificates[0])
			}
			return nil
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

// Certificate is this node's current certificate.
func (c *Identity) Certificate() *x509.Certificate { return c.cert.Load().Leaf }

// nodeKey reads this node's key and checks it belongs to cert. A renewal
// interrupted between its two renames leaves the new key beside the old
// certificate: the old key, kept as node.key.old until both are in place,
// is used then.
func nodeKey(dir string, cert *x509.Certificate) (*ecdsa.PrivateKey, error) {
	var first error
	for _, name := range []string{nodeKeyFile, nodeKeyFile + ".old"} {
		keyDER, err := readPEM(filepath.Join(dir, name), "EC PRIVATE KEY")
		if err != nil {
			if first == nil {
				first = fmt.Errorf("read node key: %w", err)
			}
			continue
		}
		key, err := x509.ParseECPrivateKey(keyDER)
		if err != nil {
			if first == nil {
				first = fmt.Errorf("parse node key: %w", err)
			}
			continue
		}
		if key.PublicKey.Equal(cert.PublicKey) {
			return key, nil
		}
		if first == nil {
			first = errors.New("node key does not match the node certificate")
		}
	}
	return nil, first
}

// RenewalDue reports whether cert has a third of its lifetime or less left
// at now.
func RenewalDue(cert *x509.Certificate, now time.Time) bool {
	return now.After(cert.NotAfter.Add(-cert.NotAfter.Sub(cert.NotBefore) / 3))
}

// Renew replaces this node's certificate and key in dataDir/tls and in use
// (new connections present it at once) with certDER, which must be the
// cluster CA's certificate for this node and key's public key
// (ErrUntrustedPeer otherwise).
func (c *Identity) Renew(dataDir string, key *ecdsa.PrivateKey, certDER []byte) error {
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return fmt.Errorf("%w: renewed certificate: %v", ErrUntrustedPeer, err)
	}
	if id, err := c.Verify(cert); err != nil {
		return err
	} else if id != c.NodeID || !key.PublicKey.Equal(cert.PublicKey) {
		return fmt.Errorf("%w: the renewed certificate is not this node's", ErrUntrustedPeer)
	}
	dir := Dir(dataDir)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode node key: %w", err)
	}
	old, err := os.ReadFile(filepath.Join(dir, nodeKeyFile))
	if err != nil {
		return fmt.Errorf("read node key: %w", err)
	}
	// node.key.old, then the key, then the certificate: Load finds a
	// matching pair whenever this stops (nodeKey).
	steps := []func() error{
		func() error { return writeFileSynced(filepath.Join(dir, nodeKeyFile+".old"), old, 0o600) },
		func() error { return writePEM(filepath.Join(dir, nodeKeyFile), "EC PRIVATE KEY", keyDER, 0o600) },
		func() error { return writePEM(filepath.Join(dir, nodeCertFile), "CERTIFICATE", certDER, 0o644) },
		func() error { return os.Remove(filepath.Join(dir, nodeKeyFile+".old")) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("renew certificate: %w", err)
		}
	}
	c.cert.Store(&tls.Certificate{Certificate: [][]byte{certDER, c.CACert.Raw}, PrivateKey: key, Leaf: cert})
	return nil
}

func writeFileSynced(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// RenewCA replaces the CA certificate in dataDir/tls (the CA node's, which
// holds ca.key) with one for the same key and subject, valid for another
// CA lifetime from now, and returns it. Certificates the old one issued
// verify against the new one and the other way round, so nodes can take
// the new ca.crt one by one (README, "Backups and upgrades"). The cluster
// id stays; the fingerprint, and so every token made before, changes.
func RenewCA(dataDir string) (*x509.Certificate, error) {
	dir := Dir(dataDir)
	oldDER, err := readPEM(filepath.Join(dir, caCertFile), "CERTIFICATE")
	if err != nil {
		return nil, fmt.Errorf("read CA certificate: %w", err)
	}
	old, err := x509.ParseCertificate(oldDER)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	keyDER, err := readPEM(filepath.Join(dir, caKeyFile), "EC PRIVATE KEY")
	if err != nil {
		return nil, fmt.Errorf("read CA key (only the CA node has it): %w", err)
	}
	key, err := x509.ParseECPrivateKey(keyDER)
	if err != nil {
		return nil, fmt.Errorf("parse CA key: %w", err)
	}
	if !key.PublicKey.Equal(old.PublicKey) {
		return nil, errors.New("ca.key does not belong to ca.crt")
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: old.Subject, SubjectKeyId: old.SubjectKeyId,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(caLifetime),
		KeyUsage: old.KeyUsage, BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	if err := writePEM(filepath.Join(dir, caCertFile), "CERTIFICATE", der, 0o644); err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

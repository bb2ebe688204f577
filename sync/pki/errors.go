package pki

import "errors"

// Errors of this package. Package sync re-exports them under the same
// names (sync.ErrTokenInvalid is pki.ErrTokenInvalid), so errors.Is works
// whichever a caller imports. Match with errors.Is.
var (
	// ErrNoCertificate: the data directory holds no cluster certificate;
	// start with --bootstrap or --join.
	ErrNoCertificate = errors.New("no cluster certificate: start with --bootstrap or --join TOKEN")
	// ErrUntrustedPeer: the other side has no certificate from this
	// cluster's CA (or, when joining, not the CA the token names).
	ErrUntrustedPeer = errors.New("peer has no certificate from the cluster CA")
	// ErrNotCA: this node does not hold the cluster CA's key, so it cannot
	// sign a joining node's certificate.
	ErrNotCA = errors.New("this node does not hold the cluster CA key")
	// ErrTokenInvalid: the join token is malformed, unknown to the
	// cluster, or its secret is wrong.
	ErrTokenInvalid = errors.New("join token is not valid")
	// ErrBadRequest: a certificate request that cannot be signed (bad
	// signature, not an ECDSA key); the error says which.
	ErrBadRequest = errors.New("certificate request refused")
)

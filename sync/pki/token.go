package pki

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// Token is what an administrator hands to a new node: everything it needs
// to find the cluster, trust it and be admitted once. Written as base64url
// (no padding) of its JSON.
type Token struct {
	Version int      `json:"v"`
	Cluster string   `json:"cluster"` // cluster ID (the CA's subject serial number)
	Addrs   []string `json:"addrs"`   // cluster addresses of the nodes that hold the CA key
	CA      string   `json:"ca"`      // hex SHA-256 of the CA certificate: pinned by the joining node
	ID      string   `json:"id"`      // token ID, in the register
	Secret  string   `json:"secret"`  // hex of 32 random bytes; only its SHA-256 is replicated
}

// NewToken makes a token for the cluster clusterID whose CA certificate has
// the given fingerprint, to be sent to addrs, with a new ID and secret.
func NewToken(clusterID, fingerprint string, addrs []string) Token {
	return Token{Version: 1, Cluster: clusterID, Addrs: addrs, CA: fingerprint, ID: randomHex(8), Secret: randomHex(32)}
}

// String is the token written out for `serve --join`.
func (t Token) String() string {
	raw, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// ParseToken reads a token written by String. Errors wrap ErrTokenInvalid.
func ParseToken(s string) (Token, error) {
	var t Token
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return t, fmt.Errorf("%w: not base64url", ErrTokenInvalid)
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return t, fmt.Errorf("%w: %v", ErrTokenInvalid, err)
	}
	if t.Version != 1 || len(t.Addrs) == 0 || len(t.CA) != 64 || t.ID == "" || t.Secret == "" {
		return t, fmt.Errorf("%w: incomplete", ErrTokenInvalid)
	}
	return t, nil
}

// SecretHash is the hex SHA-256 of a token secret, as the register keeps it.
func SecretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// What LAN discovery (package node, mDNS; `serve --join TOKEN --discover`)
// needs of a token: the cluster id to look for, and the token sent to the
// addresses found instead. Discovery only changes where a join is sent: the
// token's CA fingerprint and one-time secret are unchanged, so a node found
// on the LAN must still prove it holds the pinned CA, and the secret still
// admits one node once.

// TokenCluster returns the cluster id a join token names. Errors wrap
// ErrTokenInvalid.
func TokenCluster(token string) (string, error) {
	tok, err := ParseToken(token)
	if err != nil {
		return "", err
	}
	return tok.Cluster, nil
}

// TokenWithAddrs returns token with its cluster addresses replaced by addrs
// (found on the LAN), to be tried in order. Errors wrap ErrTokenInvalid.
func TokenWithAddrs(token string, addrs []string) (string, error) {
	tok, err := ParseToken(token)
	if err != nil {
		return "", err
	}
	if len(addrs) == 0 {
		return "", fmt.Errorf("%w: no address", ErrTokenInvalid)
	}
	tok.Addrs = addrs
	return tok.String(), nil
}

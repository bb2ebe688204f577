package sync

// What LAN discovery (package node, mDNS) needs from the cluster: the
// cluster id and CA role a node advertises, and the join token's cluster
// id and addresses. Discovery only changes where a join is sent: the token's
// CA fingerprint and one-time secret are unchanged, so a node found on the
// LAN must still prove it holds the pinned CA, and the secret still admits
// one node once.

import "fmt"

// ClusterID is the id of this node's cluster (its CA certificate's subject
// serial number), as join tokens name it; empty before Open. Safe for
// concurrent use.
func (r *Replicator) ClusterID() string {
	r.mu.RLock()
	cs := r.cluster
	r.mu.RUnlock()
	if cs == nil {
		return ""
	}
	return cs.tls.clusterID
}

// HoldsCA reports whether this node holds the cluster CA's key, and so can
// admit a joining node. Safe for concurrent use.
func (r *Replicator) HoldsCA() bool {
	r.mu.RLock()
	cs := r.cluster
	r.mu.RUnlock()
	return cs != nil && cs.tls.caKey != nil
}

// TokenCluster returns the cluster id a join token names. Errors wrap
// ErrTokenInvalid.
func TokenCluster(token string) (string, error) {
	tok, err := parseToken(token)
	if err != nil {
		return "", err
	}
	return tok.Cluster, nil
}

// TokenWithAddrs returns token with its cluster addresses replaced by addrs
// (found on the LAN), to be tried in order. Errors wrap ErrTokenInvalid.
func TokenWithAddrs(token string, addrs []string) (string, error) {
	tok, err := parseToken(token)
	if err != nil {
		return "", err
	}
	if len(addrs) == 0 {
		return "", fmt.Errorf("%w: no address", ErrTokenInvalid)
	}
	tok.Addrs = addrs
	return tok.String(), nil
}

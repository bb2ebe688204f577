package sync

// What LAN discovery (package node, mDNS) needs from the cluster: the
// cluster id and CA role a node advertises. (Reading a join token's cluster
// id and pointing it at addresses found on the LAN is package pki's.)

import "baoxue/sync/pki"

// clusterIdentity is this node's certificate and CA (package pki); nil
// before Open.
func (r *Replicator) clusterIdentity() *pki.Identity {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.identity
}

// ClusterID is the id of this node's cluster (its CA certificate's subject
// serial number), as join tokens name it; empty before Open. Safe for
// concurrent use.
func (r *Replicator) ClusterID() string {
	if id := r.clusterIdentity(); id != nil {
		return id.ClusterID
	}
	return ""
}

// HoldsCA reports whether this node holds the cluster CA's key, and so can
// admit a joining node. Safe for concurrent use.
func (r *Replicator) HoldsCA() bool {
	id := r.clusterIdentity()
	return id != nil && id.HoldsCA()
}

package sync

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"baoxue/sync/pki"
)

// Node certificates are renewed without a new join: once a third of its
// lifetime is left, a node asks a CA node over the cluster port (where its
// current certificate authenticates it) to sign a new key's request, and
// starts presenting the new certificate at once (DESIGN.md, "The cluster
// CA and tokens").

const (
	pathRenew = "/cluster/renew" // CA node: sign a member's new certificate
	// renewCheck is how often a node looks at its certificate's age;
	// renewFirst how long after start it first looks (Raft and the
	// registry have settled by then); renewRetry how soon it tries again
	// after a failure (the CA node down, or being restored), doubling up
	// to renewCheck.
	renewCheck = 12 * time.Hour
	renewFirst = 10 * time.Second
	renewRetry = time.Minute
)

type renewRequest struct {
	CSR []byte `json:"csr"` // DER
}

type renewReply struct {
	Cert []byte `json:"cert"` // DER
}

// handleRenew signs a new certificate for the calling node, named by its
// current certificate (which the handshake and checkPeer accepted), if the
// registry lists it and it is not removed.
func (r *Replicator) handleRenew(w http.ResponseWriter, req *http.Request) {
	var in renewRequest
	if !readRPC(w, req, &in) {
		return
	}
	peer := peerID(req)
	id := r.clusterIdentity()
	switch n, err := r.db.ClusterNode(peer); {
	case id == nil:
		writeRPCError(w, ErrClosed)
		return
	case !id.HoldsCA():
		writeRPCError(w, ErrNotCA)
		return
	case err != nil || n.Removed:
		writeRPCError(w, fmt.Errorf("%w: node %s is not in the cluster", ErrForbidden, peer))
		return
	}
	cert, err := id.Sign(in.CSR, peer)
	if err != nil {
		writeRPCError(w, err)
		return
	}
	r.log.Info("renewed a node certificate", "node_id", peer)
	writeRPC(w, renewReply{Cert: cert})
}

// RenewCertificate gets this node a new certificate and key from a CA node
// (itself, when it holds the CA key), writes them to DataDir/tls and
// presents them on new connections. Errors: ErrNotCA when the registry
// names no CA node, ErrUnreachable when none answers, ErrClosed.
func (r *Replicator) RenewCertificate(ctx context.Context) error {
	id := r.clusterIdentity()
	if id == nil {
		return ErrClosed
	}
	key, csr, err := pki.NewCSR(r.cfg.NodeID)
	if err != nil {
		return err
	}
	var cert []byte
	if id.HoldsCA() {
		cert, err = id.Sign(csr, r.cfg.NodeID)
	} else {
		cert, err = r.askCA(ctx, csr)
	}
	if err != nil {
		return fmt.Errorf("renew certificate: %w", err)
	}
	return id.Renew(r.cfg.DataDir, key, cert)
}

// askCA asks each CA node in the registry in turn to sign csr.
func (r *Replicator) askCA(ctx context.Context, csr []byte) ([]byte, error) {
	nodes, err := r.db.ClusterNodes()
	if err != nil {
		return nil, fmt.Errorf("read node registry: %w", err)
	}
	last := error(ErrNotCA)
	for _, n := range nodes {
		if !n.CA || n.Removed || n.ID == r.cfg.NodeID {
			continue
		}
		var rep renewReply
		if last = r.call(ctx, n.Address, pathRenew, renewRequest{CSR: csr}, &rep); last == nil {
			return rep.Cert, nil
		}
	}
	return nil, last
}

// renewLoop renews this node's certificate when it is due, checking
// renewFirst after start and every renewCheck, until stop is closed. A
// failure is logged and tried again after renewRetry, then twice as long
// each time, up to renewCheck.
func (r *Replicator) renewLoop(stop <-chan struct{}) {
	timer := time.NewTimer(renewFirst)
	defer timer.Stop()
	retry := renewRetry
	for {
		select {
		case <-stop:
			return
		case <-timer.C:
		}
		next := renewCheck
		if id := r.clusterIdentity(); id != nil && pki.RenewalDue(id.Certificate(), time.Now()) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if err := r.RenewCertificate(ctx); err != nil {
				r.log.Warn("certificate renewal failed; trying again later", "err", err,
					"expires", id.Certificate().NotAfter, "retry_in", retry)
				next, retry = retry, min(2*retry, renewCheck)
			} else {
				r.log.Info("renewed this node's certificate", "expires", id.Certificate().NotAfter)
				retry = renewRetry
			}
			cancel()
		}
		timer.Reset(next)
	}
}

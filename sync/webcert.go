package sync

// The web port's certificate from the cluster CA: signed here on a node that
// holds the CA key, else by a CA node over the cluster port
// (/cluster/web-cert), which names the certificate after the caller's
// cluster certificate.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"baoxue/sync/pki"
)

const pathWebCert = "/cluster/web-cert"

type webCertRequest struct {
	CSR []byte `json:"csr"` // DER, from pki.NewWebCSR
}

type webCertReply struct {
	Cert []byte `json:"cert"` // DER
}

// CACert is the cluster CA's certificate (DER), the district CA a school PC
// installs to trust the nodes' web ports; nil before Open.
func (r *Replicator) CACert() []byte {
	if id := r.clusterIdentity(); id != nil {
		return id.CACert.Raw
	}
	return nil
}

// SignWebCert has the cluster CA sign csr (pki.NewWebCSR) as this node's web
// certificate: here when this node holds the CA key, else by a CA node (the
// registry's, then the join token's addresses). Errors: ErrBadRequest (pki)
// for names the CA does not sign, ErrNotCA or ErrUnreachable when no CA
// node signs, ErrClosed.
func (r *Replicator) SignWebCert(ctx context.Context, csr []byte) ([]byte, error) {
	id := r.clusterIdentity()
	if id == nil {
		return nil, ErrClosed
	}
	if id.HoldsCA() {
		return id.SignWeb(csr, r.cfg.NodeID)
	}
	var addrs []string
	if nodes, err := r.db.ClusterNodes(); err == nil {
		for _, n := range nodes {
			if n.CA && !n.Removed {
				addrs = append(addrs, n.Address)
			}
		}
	}
	r.mu.RLock()
	for _, a := range r.joinAddrs {
		if !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	r.mu.RUnlock()
	errs := []error{ErrNotCA}
	for _, addr := range addrs {
		var out webCertReply
		err := r.call(ctx, addr, pathWebCert, webCertRequest{CSR: csr}, &out)
		if err == nil {
			return out.Cert, nil
		}
		if !errors.Is(err, ErrUnreachable) && !errors.Is(err, ErrNotCA) {
			return nil, err
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
	}
	return nil, fmt.Errorf("web certificate: no CA node signed it: %w", errors.Join(errs...))
}

// handleWebCert signs a member's web certificate on the CA node, for the
// node its cluster certificate names.
func (r *Replicator) handleWebCert(w http.ResponseWriter, req *http.Request) {
	var in webCertRequest
	if !readRPC(w, req, &in) {
		return
	}
	id := r.clusterIdentity()
	if id == nil {
		writeRPCError(w, ErrClosed)
		return
	}
	der, err := id.SignWeb(in.CSR, peerID(req))
	if errors.Is(err, pki.ErrBadRequest) {
		err = fmt.Errorf("%w: %w", ErrForbidden, err)
	}
	if err != nil {
		writeRPCError(w, err)
		return
	}
	r.log.Info("signed a web certificate", "node_id", peerID(req))
	writeRPC(w, webCertReply{Cert: der})
}

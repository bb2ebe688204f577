package sync

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"baoxue/store"
	"baoxue/sync/pki"
)

// Token limits.
const (
	MinTokenTTL = time.Minute
	MaxTokenTTL = 30 * 24 * time.Hour
)

// joinTimeout bounds one join attempt against one address.
const joinTimeout = 30 * time.Second

// CreateToken registers a join token on behalf of actor (an administrator)
// and returns it, written out for `serve --join`. The token admits one
// node, as a voter (once caught up) or a non-voter, until ttl has passed
// (MinTokenTTL..MaxTokenTTL). The secret never enters the log or the logs:
// the register keeps its SHA-256.
//
// The result is the register's: a rejection (e.g. the actor is not an
// administrator) comes with an empty token. Errors: ErrNotLeader or
// ErrUnreachable when no leader can be reached, ErrNotCA when no node in
// the registry holds the CA key, ErrClosed.
func (r *Replicator) CreateToken(ctx context.Context, actor store.Actor, voter bool, ttl time.Duration) (string, store.Result, error) {
	if ttl < MinTokenTTL || ttl > MaxTokenTTL {
		return "", store.Result{}, fmt.Errorf("%w: ttl %s is outside %s..%s", ErrJoinInvalid, ttl, MinTokenTTL, MaxTokenTTL)
	}
	id := r.clusterIdentity()
	if id == nil {
		return "", store.Result{}, ErrClosed
	}
	nodes, err := r.db.ClusterNodes()
	if err != nil {
		return "", store.Result{}, fmt.Errorf("read node registry: %w", err)
	}
	var addrs []string
	for _, n := range nodes {
		if n.CA && !n.Removed {
			addrs = append(addrs, n.Address)
		}
	}
	if len(addrs) == 0 {
		return "", store.Result{}, ErrNotCA
	}
	tok := pki.NewToken(id.ClusterID, id.Fingerprint, addrs)
	actor.Node = r.cfg.NodeID
	cmd, err := store.NewCommand(newCommandID("token"), actor, store.ClusterTokenCreate{ClusterToken: store.ClusterToken{
		ID: tok.ID, SecretHash: pki.SecretHash(tok.Secret), Voter: voter, ExpiresAt: time.Now().Add(ttl).UTC()}})
	if err != nil {
		return "", store.Result{}, err
	}
	res, err := r.submitCluster(ctx, cmd)
	if err != nil || !res.Applied() {
		return "", res, err
	}
	r.log.Info("join token created", "token_id", tok.ID, "voter", voter, "ttl", ttl.String(), "user", actor.User)
	return tok.String(), res, nil
}

// joinRequest is sent on a 'J' stream.
type joinRequest struct {
	TokenID  string `json:"token_id"`
	Secret   string `json:"secret"`
	NodeID   string `json:"node_id"`
	Address  string `json:"address"`
	Township string `json:"township,omitempty"`
	CSR      []byte `json:"csr"` // DER certificate request
}

// joinReply carries the signed certificate.
type joinReply struct {
	Cert  []byte `json:"cert"` // DER, common name = node ID
	CA    []byte `json:"ca"`   // DER CA certificate
	Voter bool   `json:"voter"`
}

// joinCluster obtains this node's certificate with cfg.JoinToken and stores
// it under DataDir/tls. It tries the token's addresses in turn; the
// cluster's refusal (used, expired, wrong token, node ID taken) ends it at
// once.
func joinCluster(ctx context.Context, cfg Config, log *slog.Logger, localIP net.IP, advertise string) error {
	tok, err := pki.ParseToken(cfg.JoinToken)
	if err != nil {
		return err
	}
	key, csr, err := pki.NewCSR(cfg.NodeID)
	if err != nil {
		return err
	}
	req := joinRequest{TokenID: tok.ID, Secret: tok.Secret, NodeID: cfg.NodeID, Address: advertise,
		Township: cfg.Township, CSR: csr}
	var errs []error
	for _, addr := range tok.Addrs {
		rep, err := joinAt(ctx, localIP, addr, tok, req)
		if err != nil {
			// Another address may do: this one is down, or no longer
			// holds the CA key.
			if errors.Is(err, ErrUnreachable) || errors.Is(err, ErrNotCA) {
				log.Warn("join: cannot join through this node, trying the next", "addr", addr, "err", err)
				errs = append(errs, err)
				continue
			}
			return fmt.Errorf("join via %s: %w", addr, err)
		}
		if err := pki.WriteNodeFiles(cfg.DataDir, rep.CA, key, rep.Cert); err != nil {
			return err
		}
		log.Info("joined the cluster", "via", addr, "cluster_id", tok.Cluster, "voter", rep.Voter,
			"township", cfg.Township)
		return nil
	}
	return fmt.Errorf("join: %w", errors.Join(errs...))
}

// joinAt makes one join request to addr, trusting only the CA the token
// pins, and checks the certificate it gets back.
func joinAt(ctx context.Context, localIP net.IP, addr string, tok pki.Token, req joinRequest) (joinReply, error) {
	var rep joinReply
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS13,
		InsecureSkipVerify: true, // replaced by VerifyConnection: the token pins the CA
		VerifyConnection:   func(cs tls.ConnectionState) error { return pki.VerifyPinned(cs.PeerCertificates, tok.CA) },
	}
	ctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return dialStream(ctx, addr, localIP, cfg, streamJoin)
		},
		DisableKeepAlives: true,
	}}
	defer client.CloseIdleConnections()
	body, err := json.Marshal(req)
	if err != nil {
		return rep, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+pathJoin, strings.NewReader(string(body)))
	if err != nil {
		return rep, fmt.Errorf("%w: %v", ErrTokenInvalid, err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(hreq)
	if err != nil {
		if errors.Is(err, ErrUntrustedPeer) {
			return rep, fmt.Errorf("%s: %w", addr, ErrUntrustedPeer)
		}
		return rep, fmt.Errorf("%w: %s: %v", ErrUnreachable, addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e rpcError
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || e.Error == "" {
			return rep, fmt.Errorf("%w: HTTP %d", ErrJoinInvalid, resp.StatusCode)
		}
		for _, c := range rpcCodes {
			if c.code == e.Code {
				return rep, &remoteError{err: c.err, msg: e.Error}
			}
		}
		return rep, fmt.Errorf("%w: %s", ErrJoinInvalid, e.Error)
	}
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		return rep, fmt.Errorf("%w: %s: decode answer: %v", ErrUnreachable, addr, err)
	}
	if pki.Fingerprint(rep.CA) != tok.CA {
		return rep, fmt.Errorf("%w: the CA certificate sent is not the token's", ErrUntrustedPeer)
	}
	ca, err := x509.ParseCertificate(rep.CA)
	if err != nil {
		return rep, fmt.Errorf("%w: CA certificate: %v", ErrUntrustedPeer, err)
	}
	cert, err := x509.ParseCertificate(rep.Cert)
	if err != nil {
		return rep, fmt.Errorf("%w: node certificate: %v", ErrUntrustedPeer, err)
	}
	id, err := pki.VerifyIssued(ca, cert)
	if err != nil {
		return rep, err
	}
	if id != req.NodeID {
		return rep, fmt.Errorf("%w: certificate is for node %q", ErrUntrustedPeer, id)
	}
	return rep, nil
}

// newJoinServer is the server of 'J' streams: join requests, which carry
// a token instead of a client certificate.
func newJoinServer(handleJoin http.HandlerFunc) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc(pathJoin, handleJoin)
	return &http.Server{Handler: http.MaxBytesHandler(mux, 1<<20), ReadHeaderTimeout: handshakeTimeout,
		ReadTimeout: time.Minute, IdleTimeout: time.Minute}
}

// handleJoin serves a join on the CA node: it consumes the token through
// the log (cluster.join: exactly once, refused if used or expired), signs
// the certificate request, and asks the leader to add the node. The
// request carries no client certificate; the token's secret is its
// authority, and it is never logged.
func (r *Replicator) handleJoin(w http.ResponseWriter, req *http.Request) {
	var in joinRequest
	if !readRPC(w, req, &in) {
		return
	}
	rep, err := r.serveJoin(req.Context(), in)
	if err != nil {
		r.log.Warn("join refused", "node_id", in.NodeID, "token_id", in.TokenID, "remote", req.RemoteAddr, "err", err)
		writeRPCError(w, err)
		return
	}
	r.log.Info("node joined", "node_id", in.NodeID, "addr", in.Address, "township", in.Township, "voter", rep.Voter,
		"token_id", in.TokenID)
	writeRPC(w, rep)
}

func (r *Replicator) serveJoin(ctx context.Context, in joinRequest) (joinReply, error) {
	id := r.clusterIdentity()
	if id == nil {
		return joinReply{}, ErrClosed
	}
	if !id.HoldsCA() {
		return joinReply{}, ErrNotCA
	}
	switch {
	case !store.ValidNodeID(in.NodeID):
		return joinReply{}, fmt.Errorf("%w: node id must be 1 to 64 letters, digits, '-', '_' or '.'", ErrJoinInvalid)
	case in.TokenID == "" || in.Secret == "":
		return joinReply{}, fmt.Errorf("%w: no token", ErrTokenInvalid)
	}
	if _, _, err := net.SplitHostPort(in.Address); err != nil {
		return joinReply{}, fmt.Errorf("%w: address %q: %v", ErrJoinInvalid, in.Address, err)
	}
	// Check the request before the token is spent on it.
	csr, err := x509.ParseCertificateRequest(in.CSR)
	if err != nil || csr.CheckSignature() != nil {
		return joinReply{}, fmt.Errorf("%w: bad certificate request", ErrJoinInvalid)
	}
	// A fresh command ID per attempt: a second use of a token is always
	// refused as used, even by the node that used it.
	cmd, err := store.NewCommand(newCommandID("join"), store.Actor{Node: r.cfg.NodeID},
		store.ClusterJoin{TokenID: in.TokenID, SecretHash: pki.SecretHash(in.Secret), NodeID: in.NodeID,
			Address: in.Address, Township: in.Township})
	if err != nil {
		return joinReply{}, err
	}
	res, err := r.submitCluster(ctx, cmd)
	if err != nil {
		return joinReply{}, err
	}
	if !res.Applied() {
		return joinReply{}, joinRejection(res)
	}
	cert, err := id.Sign(in.CSR, in.NodeID)
	if errors.Is(err, pki.ErrBadRequest) {
		return joinReply{}, fmt.Errorf("%w: %w", ErrJoinInvalid, err)
	}
	if err != nil {
		return joinReply{}, err
	}
	r.pokeLeader(ctx)
	node, err := r.db.ClusterNode(in.NodeID)
	voter := err == nil && node.Voter
	return joinReply{Cert: cert, CA: id.CACert.Raw, Voter: voter}, nil
}

// joinRejection maps the register's refusal of a join to the package's
// errors, keeping its reason.
func joinRejection(res store.Result) error {
	switch res.Code {
	case store.CodeTokenUsed:
		return fmt.Errorf("%w: %s", ErrTokenUsed, res.Reason)
	case store.CodeTokenExpired:
		return fmt.Errorf("%w: %s", ErrTokenExpired, res.Reason)
	case store.CodeNotFound, store.CodeForbidden:
		if res.Field == "token" {
			return fmt.Errorf("%w: %s", ErrTokenInvalid, res.Reason)
		}
	}
	return fmt.Errorf("%w: %s", ErrJoinInvalid, res.Reason)
}

// RegisterSelf records this node in the node registry as the cluster's
// first node (with its township and whether it holds the CA key), if the
// registry is empty. The bootstrap node calls it once it leads; it does
// nothing when this node is registered already.
func (r *Replicator) RegisterSelf(ctx context.Context) error {
	if _, err := r.db.ClusterNode(r.cfg.NodeID); err == nil {
		return nil
	}
	id := r.clusterIdentity()
	if id == nil {
		return ErrClosed
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := r.WaitLeader(wctx); err != nil {
		return fmt.Errorf("register this node: wait for a leader: %w", err)
	}
	cmd, err := store.NewCommand("cluster.bootstrap:"+r.cfg.NodeID, store.Actor{Node: r.cfg.NodeID},
		store.ClusterJoin{NodeID: r.cfg.NodeID, Address: r.AdvertiseAddr(), Township: r.cfg.Township,
			Bootstrap: true, CA: id.HoldsCA()})
	if err != nil {
		return err
	}
	res, err := r.submitCluster(ctx, cmd)
	if err != nil {
		return fmt.Errorf("register this node: %w", err)
	}
	if !res.Applied() {
		return fmt.Errorf("register this node: %s", res.Reason)
	}
	return nil
}

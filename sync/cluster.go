package sync

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/raft"

	"baoxue/store"
	"baoxue/sync/pki"
)

// Cluster RPC paths served by this file, admin.go and join.go. (apply.go
// and reads.go serve /cluster/forward and /cluster/read-index.)
const (
	pathStatus     = "/cluster/status"     // this node's replication state
	pathSubmit     = "/cluster/submit"     // leader: apply a cluster.* command
	pathReconcile  = "/cluster/reconcile"  // leader: reconcile membership now
	pathLeadership = "/cluster/leadership" // leader: transfer leadership
	pathJoin       = "/cluster/join"       // CA node, on 'J' streams: join
)

// statusTimeout bounds one status call while listing nodes or checking a
// voter-to-be's progress.
const statusTimeout = 3 * time.Second

// statusReply answers pathStatus.
type statusReply struct {
	NodeID       string    `json:"node_id"`
	RaftState    string    `json:"raft_state"`
	AppliedIndex uint64    `json:"applied_index"`
	CommitIndex  uint64    `json:"commit_index"`
	LeaderID     string    `json:"leader_id"`
	LastContact  time.Time `json:"last_contact"`
	// For the bureau's Nodes page (absent from nodes of older releases).
	Version         string    `json:"version,omitempty"`
	DiskFree        uint64    `json:"disk_free,omitempty"`
	OutboxPending   int       `json:"outbox_pending,omitempty"`
	OutboxOldestAt  time.Time `json:"outbox_oldest_at,omitzero"`
	UpgradeRequired bool      `json:"upgrade_required,omitempty"`
}

// openClusterPort binds ClusterAddr, obtains this node's certificate if it
// has none (creating the cluster CA with Bootstrap, joining with
// JoinToken), and starts the cluster port and its RPC server. Called by
// Open with r.mu held.
func (r *Replicator) openClusterPort(ctx context.Context) (*clusterPort, error) {
	ln, err := listenCluster(r.cfg.ClusterAddr)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			ln.Close()
		}
	}()
	advertise, err := advertiseAddr(ln, r.cfg.ClusterAdvertise)
	if err != nil {
		return nil, err
	}
	id, err := r.loadIdentity(ctx, localIPOf(ln), advertise.String())
	if err != nil {
		return nil, err
	}
	port := &clusterPort{
		ln:        ln,
		id:        id,
		advertise: advertise,
		localIP:   localIPOf(ln),
		log:       r.log.With("part", "cluster-port"),
		raft:      make(chan net.Conn),
		rpc:       make(chan net.Conn),
		join:      make(chan net.Conn),
		closing:   make(chan struct{}),
		check:     r.checkPeer,
	}
	joinSrv := newJoinServer(r.handleJoin)
	port.start()
	go r.rpc.serve(port.listener(port.rpc))
	go func() {
		if err := joinSrv.Serve(port.listener(port.join)); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			r.log.Error("join server stopped", "err", err)
		}
	}()
	r.port, r.rpcClient, r.identity, r.joinSrv = port, newRPCClient(port), id, joinSrv
	ok = true
	return port, nil
}

// loadIdentity loads this node's certificate from DataDir/tls, obtaining one
// first if there is none: with JoinToken by joining (join.go), with
// Bootstrap by creating the cluster CA.
func (r *Replicator) loadIdentity(ctx context.Context, localIP net.IP, advertise string) (*pki.Identity, error) {
	if !pki.Exists(r.cfg.DataDir) {
		switch {
		case r.cfg.JoinToken != "":
			if err := joinCluster(ctx, r.cfg, r.log, localIP, advertise); err != nil {
				return nil, err
			}
			// The registry may not have reached this node yet when it asks
			// for its web certificate (SignWebCert).
			if tok, err := pki.ParseToken(r.cfg.JoinToken); err == nil {
				r.joinAddrs = tok.Addrs
			}
		case r.cfg.Bootstrap:
			if err := pki.CreateCA(r.cfg.DataDir, r.cfg.NodeID); err != nil {
				return nil, fmt.Errorf("create cluster CA: %w", err)
			}
			r.log.Info("created cluster CA", "dir", pki.Dir(r.cfg.DataDir))
		default:
			return nil, ErrNoCertificate
		}
	}
	id, err := pki.Load(r.cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if id.NodeID != r.cfg.NodeID {
		return nil, fmt.Errorf("cluster certificate in %s is for node %q, not %q", pki.Dir(r.cfg.DataDir), id.NodeID, r.cfg.NodeID)
	}
	return id, nil
}

// advertiseAddr is the address others dial: advertise, or ln's own.
func advertiseAddr(ln net.Listener, advertise string) (*net.TCPAddr, error) {
	bound := ln.Addr().(*net.TCPAddr)
	a := bound
	if advertise != "" {
		var err error
		if a, err = net.ResolveTCPAddr("tcp", advertise); err != nil {
			return nil, fmt.Errorf("cluster advertise address %s: %w", advertise, err)
		}
		if a.Port == 0 {
			a.Port = bound.Port
		}
	}
	if a.IP == nil || a.IP.IsUnspecified() {
		return nil, fmt.Errorf("cluster address %s is not one others can dial: set the advertise address", a)
	}
	return a, nil
}

// localIPOf is the IP ln is bound to, used as the source of outgoing
// cluster connections; nil when bound to all addresses.
func localIPOf(ln net.Listener) net.IP {
	ip := ln.Addr().(*net.TCPAddr).IP
	if ip == nil || ip.IsUnspecified() {
		return nil
	}
	return ip
}

// checkPeer refuses, at the TLS handshake, a peer whose node was removed
// from the cluster, and a certificate issued before its node's latest join
// (the certificate of an earlier membership under the same id). Its
// certificate stays valid to the CA: the registry, replicated to every
// node, is the revocation list. A node the registry does not know yet (its
// join not yet replicated here) is let through. Calls on connections opened
// before the removal are refused by rpcServer (checkCaller).
func (r *Replicator) checkPeer(cert *x509.Certificate) error {
	n, err := r.db.ClusterNode(cert.Subject.CommonName)
	if err != nil {
		return nil
	}
	if n.Removed {
		return fmt.Errorf("%w: node %s was removed from the cluster", ErrUntrustedPeer, n.ID)
	}
	// Certificates are backdated an hour (pki.Sign); allow for clocks
	// that differ between the CA node and the leader.
	if cert.NotBefore.Add(time.Hour + certClockSkew).Before(n.JoinedAt) {
		return fmt.Errorf("%w: node %s's certificate predates its join", ErrUntrustedPeer, n.ID)
	}
	return nil
}

// certClockSkew is how far the CA node's clock may be behind the leader's.
const certClockSkew = 10 * time.Minute

// closeJoinServer stops the join server (the CA node's; every node runs
// one so that a wrong node says so).
func (r *Replicator) closeJoinServer(ctx context.Context) {
	r.mu.RLock()
	srv := r.joinSrv
	r.mu.RUnlock()
	if srv == nil {
		return
	}
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
}

// closeClusterPort closes the RPC server, the client's idle connections
// and the listener, after Raft's transport is closed.
func (r *Replicator) closeClusterPort(ctx context.Context) error {
	r.mu.Lock()
	port, client := r.port, r.rpcClient
	r.rpcClient = nil
	r.mu.Unlock()
	if port == nil {
		return nil
	}
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := r.rpc.close(sctx)
	if client != nil {
		client.CloseIdleConnections()
	}
	if cerr := port.close(); cerr != nil && err == nil && !errors.Is(cerr, net.ErrClosed) {
		err = fmt.Errorf("close cluster port: %w", cerr)
	}
	return err
}

// registerRPCs serves this package's cluster RPCs on r.rpc.
func (r *Replicator) registerRPCs() {
	r.rpc.Handle(pathForward, http.HandlerFunc(r.handleForward))
	r.rpc.Handle(pathReadIndex, http.HandlerFunc(r.handleReadIndex))
	r.rpc.Handle(pathStatus, http.HandlerFunc(r.handleStatus))
	r.rpc.Handle(pathSubmit, http.HandlerFunc(r.handleSubmit))
	r.rpc.Handle(pathReconcile, http.HandlerFunc(r.handleReconcile))
	r.rpc.Handle(pathLeadership, http.HandlerFunc(r.handleLeadership))
	r.rpc.Handle(pathWebCert, http.HandlerFunc(r.handleWebCert))
	r.rpc.Handle(pathRenew, http.HandlerFunc(r.handleRenew))
	r.rpc.Handle(pathSuffrage, http.HandlerFunc(r.handleSuffrage))
}

// AdvertiseAddr is the cluster address other nodes dial to reach this one
// ("" before Open).
func (r *Replicator) AdvertiseAddr() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.port == nil {
		return ""
	}
	return r.port.advertise.String()
}

func (r *Replicator) handleStatus(w http.ResponseWriter, req *http.Request) {
	var in struct{}
	if !readRPC(w, req, &in) {
		return
	}
	writeRPC(w, r.statusReply())
}

func (r *Replicator) statusReply() statusReply {
	s, ob := r.Status(), r.Outbox().Status()
	free, _ := freeBytes(r.cfg.DataDir) // 0: unknown
	return statusReply{NodeID: s.NodeID, RaftState: s.RaftState, AppliedIndex: s.AppliedIndex,
		CommitIndex: s.CommitIndex, LeaderID: s.LeaderID, LastContact: s.LastContact,
		Version: r.cfg.Version, DiskFree: free, OutboxPending: ob.Pending, OutboxOldestAt: ob.OldestPendingAt,
		UpgradeRequired: s.Halt != nil}
}

// leader returns the running Raft and, when this node is not the leader,
// the leader's address; ErrNotLeader when no leader is known.
func (r *Replicator) leader() (*raft.Raft, string, error) {
	ra, err := r.current()
	if err != nil {
		return nil, "", err
	}
	if ra.State() == raft.Leader {
		return ra, "", nil
	}
	addr, _ := ra.LeaderWithID()
	if addr == "" {
		return nil, "", ErrNotLeader
	}
	return ra, string(addr), nil
}

// submitCluster applies a cluster.* command through the leader: here when
// this node leads, else by a call to the leader. Cluster commands bypass
// the outbox: they need the leader now (a join waits for its certificate),
// and a resend with the same ID is answered with the first result.
func (r *Replicator) submitCluster(ctx context.Context, cmd store.Command) (store.Result, error) {
	_, addr, err := r.leader()
	if err != nil {
		return store.Result{}, err
	}
	if addr == "" {
		return r.applyCluster(ctx, cmd)
	}
	var res store.Result
	if err := r.call(ctx, addr, pathSubmit, cmd, &res); err != nil {
		return store.Result{}, err
	}
	return res, nil
}

func (r *Replicator) handleSubmit(w http.ResponseWriter, req *http.Request) {
	var cmd store.Command
	if !readRPC(w, req, &cmd) {
		return
	}
	if !store.IsClusterKind(cmd.Kind) {
		writeRPCError(w, fmt.Errorf("%w: %s is not a cluster command", ErrForbidden, cmd.Kind))
		return
	}
	// The node is the caller's certificate's, whatever the command says:
	// the register takes cluster commands only from a bureau node.
	cmd.Actor.Node = peerID(req)
	res, err := r.applyCluster(req.Context(), cmd)
	if err != nil {
		writeRPCError(w, err)
		return
	}
	r.members.wake()
	writeRPC(w, res)
}

// applyCluster applies a cluster command on the leader and waits for its
// result; ErrNotLeader elsewhere. Unlike Submit it never queues in the
// outbox: a join must not be applied after its caller has given up (the
// token would be spent without a certificate).
func (r *Replicator) applyCluster(ctx context.Context, cmd store.Command) (store.Result, error) {
	ra, err := r.current()
	if err != nil {
		return store.Result{}, err
	}
	if ra.State() != raft.Leader {
		return store.Result{}, ErrNotLeader
	}
	if err := r.checkDisk(); err != nil {
		return store.Result{}, err
	}
	return r.applyOnLeader(ctx, ra, cmd)
}

// newCommandID makes an ID for a command this package builds.
func newCommandID(prefix string) string { return prefix + "-" + randomHex(12) }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b)
}

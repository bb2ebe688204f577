package sync

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	gosync "sync"
	"time"

	"github.com/hashicorp/raft"

	"baoxue/store"
)

// Cluster RPC paths served by this file and join.go. (OUTBOX serves
// /cluster/forward and /cluster/read-index.)
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

// clusterState is the running part of join and membership: the node's TLS
// identity, the join server (CA node only, but always listening so that a
// wrong node says so), and the leader's membership loop.
type clusterState struct {
	tls     *clusterTLS
	joinSrv *http.Server
	poke    chan struct{} // wakes the membership loop
	stop    chan struct{}
	wg      gosync.WaitGroup

	mu   gosync.Mutex
	seen map[string]peerStatus // node ID → its last status answer
}

// peerStatus is what a node last said about itself.
type peerStatus struct {
	at     time.Time
	status statusReply
}

// statusReply answers pathStatus.
type statusReply struct {
	NodeID       string    `json:"node_id"`
	RaftState    string    `json:"raft_state"`
	AppliedIndex uint64    `json:"applied_index"`
	CommitIndex  uint64    `json:"commit_index"`
	LeaderID     string    `json:"leader_id"`
	LastContact  time.Time `json:"last_contact"`
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
	if !hasTLS(r.cfg.DataDir) {
		switch {
		case r.cfg.JoinToken != "":
			if err := r.join(ctx, localIPOf(ln), advertise.String()); err != nil {
				return nil, err
			}
		case r.cfg.Bootstrap:
			if err := createCA(r.cfg.DataDir, r.cfg.NodeID); err != nil {
				return nil, fmt.Errorf("create cluster CA: %w", err)
			}
			r.log.Info("created cluster CA", "dir", tlsDir(r.cfg.DataDir))
		default:
			return nil, ErrNoCertificate
		}
	}
	ct, err := loadTLS(r.cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if ct.nodeID != r.cfg.NodeID {
		return nil, fmt.Errorf("cluster certificate in %s is for node %q, not %q", tlsDir(r.cfg.DataDir), ct.nodeID, r.cfg.NodeID)
	}
	port := &clusterPort{
		ln:        ln,
		tls:       ct,
		advertise: advertise,
		localIP:   localIPOf(ln),
		log:       r.log.With("part", "cluster-port"),
		raft:      make(chan net.Conn),
		rpc:       make(chan net.Conn),
		join:      make(chan net.Conn),
		closing:   make(chan struct{}),
		admitted:  r.admitted,
	}
	cs := &clusterState{tls: ct, poke: make(chan struct{}, 1), stop: make(chan struct{}), seen: map[string]peerStatus{}}
	r.registerClusterRPCs()
	joinMux := http.NewServeMux()
	joinMux.HandleFunc(pathJoin, r.handleJoin)
	cs.joinSrv = &http.Server{Handler: http.MaxBytesHandler(joinMux, 1<<20), ReadHeaderTimeout: handshakeTimeout,
		ReadTimeout: time.Minute, IdleTimeout: time.Minute}
	port.start()
	go r.rpc.serve(port.listener(port.rpc))
	go func() {
		if err := cs.joinSrv.Serve(port.listener(port.join)); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			r.log.Error("join server stopped", "err", err)
		}
	}()
	r.port, r.rpcClient, r.cluster = port, newRPCClient(port), cs
	ok = true
	return port, nil
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

// admitted refuses raft and RPC streams from nodes removed from the
// cluster: their certificates stay valid, the registry does not.
func (r *Replicator) admitted(nodeID string) bool {
	n, err := r.db.ClusterNode(nodeID)
	return err != nil || !n.Removed
}

// startCluster starts the membership loop once Raft runs.
func (r *Replicator) startCluster(*clusterPort) {
	cs := r.cluster
	cs.wg.Add(1)
	go func() {
		defer cs.wg.Done()
		r.membershipLoop(cs)
	}()
}

// stopCluster stops the membership loop and the join server.
func (r *Replicator) stopCluster(ctx context.Context) {
	r.mu.RLock()
	cs := r.cluster
	r.mu.RUnlock()
	if cs == nil {
		return
	}
	close(cs.stop)
	cs.wg.Wait()
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := cs.joinSrv.Shutdown(sctx); err != nil {
		cs.joinSrv.Close()
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

func (r *Replicator) registerClusterRPCs() {
	r.rpc.Handle(pathStatus, http.HandlerFunc(r.handleStatus))
	r.rpc.Handle(pathSubmit, http.HandlerFunc(r.handleSubmit))
	r.rpc.Handle(pathReconcile, http.HandlerFunc(r.handleReconcile))
	r.rpc.Handle(pathLeadership, http.HandlerFunc(r.handleLeadership))
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
	s := r.Status()
	return statusReply{NodeID: s.NodeID, RaftState: s.RaftState, AppliedIndex: s.AppliedIndex,
		CommitIndex: s.CommitIndex, LeaderID: s.LeaderID, LastContact: s.LastContact}
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
	switch cmd.Kind {
	case store.KindClusterToken, store.KindClusterJoin, store.KindClusterMember:
	default:
		writeRPCError(w, fmt.Errorf("%w: %s is not a cluster command", ErrForbidden, cmd.Kind))
		return
	}
	res, err := r.applyCluster(req.Context(), cmd)
	if err != nil {
		writeRPCError(w, err)
		return
	}
	r.pokeMembership()
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
	if r.cfg.MinFreeBytes > 0 {
		if free, err := freeBytes(r.cfg.DataDir); err == nil && free < r.cfg.MinFreeBytes {
			return store.Result{}, fmt.Errorf("%w: %d bytes free in %s", ErrDiskFull, free, r.cfg.DataDir)
		}
	}
	return r.applyOnLeader(ctx, ra, cmd)
}

func (r *Replicator) handleReconcile(w http.ResponseWriter, req *http.Request) {
	var in struct{}
	if !readRPC(w, req, &in) {
		return
	}
	r.pokeMembership()
	writeRPC(w, nil)
}

// pokeMembership asks the leader (this node or another) to reconcile
// membership now. Best effort: the leader's loop retries anyway.
func (r *Replicator) pokeMembership() {
	r.mu.RLock()
	cs := r.cluster
	r.mu.RUnlock()
	if cs == nil {
		return
	}
	select {
	case cs.poke <- struct{}{}:
	default:
	}
}

// pokeLeader pokes the leader's membership loop, calling it if elsewhere.
func (r *Replicator) pokeLeader(ctx context.Context) {
	_, addr, err := r.leader()
	switch {
	case err != nil:
	case addr == "":
		r.pokeMembership()
	default:
		if err := r.call(ctx, addr, pathReconcile, struct{}{}, nil); err != nil {
			r.log.Debug("poke leader's membership loop", "err", err)
		}
	}
}

// membershipLoop runs on every node and acts while it leads.
func (r *Replicator) membershipLoop(cs *clusterState) {
	t := time.NewTicker(r.cfg.MembershipInterval)
	defer t.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-cs.stop:
		case <-r.closing:
		}
		cancel()
	}()
	for {
		select {
		case <-t.C:
		case <-cs.poke:
		case <-ctx.Done():
			return
		}
		r.reconcile(ctx)
	}
}

// reconcile makes Raft's configuration follow the node registry, on the
// leader: registered nodes are added as non-voters, voters-to-be promoted
// once caught up (CatchUpMargin), nodes no longer meant to vote demoted,
// removed nodes removed. Nodes in the configuration but not in the
// registry are left alone.
func (r *Replicator) reconcile(ctx context.Context) {
	ra, err := r.current()
	if err != nil || ra.State() != raft.Leader {
		return
	}
	f := ra.GetConfiguration()
	if err := f.Error(); err != nil {
		return
	}
	servers := map[string]raft.Server{}
	for _, s := range f.Configuration().Servers {
		servers[string(s.ID)] = s
	}
	nodes, err := r.db.ClusterNodes()
	if err != nil {
		r.log.Warn("membership: read node registry", "err", err)
		return
	}
	const timeout = 10 * time.Second
	for _, n := range nodes {
		if ctx.Err() != nil || ra.State() != raft.Leader {
			return
		}
		s, in := servers[n.ID]
		id, addr := raft.ServerID(n.ID), raft.ServerAddress(n.Address)
		var fut raft.IndexFuture
		var op string
		switch {
		case n.Removed && in:
			op, fut = "remove", ra.RemoveServer(id, 0, timeout)
		case n.Removed:
			continue
		case !in:
			op, fut = "add non-voter", ra.AddNonvoter(id, addr, 0, timeout)
		case n.Voter && s.Suffrage != raft.Voter:
			if !r.caughtUp(ctx, n) {
				continue
			}
			op, fut = "promote", ra.AddVoter(id, s.Address, 0, timeout)
		case !n.Voter && s.Suffrage == raft.Voter:
			op, fut = "demote", ra.DemoteVoter(id, 0, timeout)
		default:
			continue
		}
		if err := fut.Error(); err != nil {
			r.log.Warn("membership change failed; will retry", "op", op, "node_id", n.ID, "err", translate(err))
			continue
		}
		r.log.Info("membership changed", "op", op, "node_id", n.ID, "addr", n.Address)
	}
}

// caughtUp asks a voter-to-be how far it has applied.
func (r *Replicator) caughtUp(ctx context.Context, n store.ClusterNode) bool {
	st, err := r.peerStatus(ctx, n)
	if err != nil {
		r.log.Debug("membership: voter-to-be not reachable", "node_id", n.ID, "err", err)
		return false
	}
	return st.AppliedIndex+r.cfg.CatchUpMargin >= r.db.AppliedIndex()
}

// peerStatus calls a node's pathStatus and remembers the answer.
func (r *Replicator) peerStatus(ctx context.Context, n store.ClusterNode) (statusReply, error) {
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	var st statusReply
	if err := r.call(ctx, n.Address, pathStatus, struct{}{}, &st); err != nil {
		return st, err
	}
	if st.NodeID != n.ID {
		return st, fmt.Errorf("%w: %s answers as node %q, not %q", ErrUnreachable, n.Address, st.NodeID, n.ID)
	}
	r.mu.RLock()
	cs := r.cluster
	r.mu.RUnlock()
	if cs != nil {
		cs.mu.Lock()
		cs.seen[n.ID] = peerStatus{at: time.Now(), status: st}
		cs.mu.Unlock()
	}
	return st, nil
}

// NodeInfo describes one cluster node as this node sees it.
type NodeInfo struct {
	ID       string
	Address  string
	Township string
	// Voter: the node votes in Raft's configuration now. WantVoter: the
	// registry says it should (a voter-to-be is promoted once caught up).
	Voter     bool
	WantVoter bool
	// Member: the node is in Raft's configuration (a joined node is added
	// by the leader shortly after it joins).
	Member bool
	Leader bool
	Self   bool
	CA     bool // holds the cluster CA key and serves joins
	// Reachable: the node answered this listing. LastContact is when it
	// last answered this node (now for itself), zero if never;
	// AppliedIndex is what it said then.
	Reachable    bool
	LastContact  time.Time
	AppliedIndex uint64
	RaftState    string
}

// Nodes lists the cluster's nodes (the registry, plus any Raft server not
// in it), asking each for its progress with a short timeout; nodes that do
// not answer are listed with what they last said. Safe for concurrent
// use; ErrClosed when not open.
func (r *Replicator) Nodes(ctx context.Context) ([]NodeInfo, error) {
	ra, err := r.current()
	if err != nil {
		return nil, err
	}
	reg, err := r.db.ClusterNodes()
	if err != nil {
		return nil, fmt.Errorf("read node registry: %w", err)
	}
	servers := map[string]raft.Server{}
	if f := ra.GetConfiguration(); f.Error() == nil {
		for _, s := range f.Configuration().Servers {
			servers[string(s.ID)] = s
		}
	}
	_, leaderID := ra.LeaderWithID()
	var out []NodeInfo
	seen := map[string]bool{}
	for _, n := range reg {
		if n.Removed {
			continue
		}
		seen[n.ID] = true
		s, in := servers[n.ID]
		out = append(out, NodeInfo{ID: n.ID, Address: n.Address, Township: n.Township, WantVoter: n.Voter,
			Voter: in && s.Suffrage == raft.Voter, Member: in, CA: n.CA})
	}
	for id, s := range servers {
		if !seen[id] {
			out = append(out, NodeInfo{ID: id, Address: string(s.Address), Member: true,
				Voter: s.Suffrage == raft.Voter, WantVoter: s.Suffrage == raft.Voter})
		}
	}
	var wg gosync.WaitGroup
	for i := range out {
		n := &out[i]
		n.Leader = n.ID == string(leaderID)
		if n.ID == r.cfg.NodeID {
			st := r.statusReply()
			n.Self, n.Reachable, n.LastContact, n.AppliedIndex, n.RaftState = true, true, time.Now(), st.AppliedIndex, st.RaftState
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := r.peerStatus(ctx, store.ClusterNode{ID: n.ID, Address: n.Address})
			if err == nil {
				n.Reachable, n.LastContact, n.AppliedIndex, n.RaftState = true, time.Now(), st.AppliedIndex, st.RaftState
				return
			}
			r.cluster.mu.Lock()
			last, ok := r.cluster.seen[n.ID]
			r.cluster.mu.Unlock()
			if ok {
				n.LastContact, n.AppliedIndex, n.RaftState = last.at, last.status.AppliedIndex, last.status.RaftState
			}
		}()
	}
	wg.Wait()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// newCommandID makes an ID for a command this package builds.
func newCommandID(prefix string) string { return prefix + "-" + randomHex(12) }

// Member promotes, demotes or removes a node (store.MemberPromote,
// MemberDemote, MemberRemove) on behalf of actor, an administrator. The
// change is a replicated command: the result says whether the register
// accepted it (a rejection carries the reason, e.g. the last voter). Raft's
// configuration follows shortly after, on the leader: a promoted node
// becomes a voter only once caught up. Errors: ErrNotLeader or
// ErrUnreachable when no leader can be reached, ErrClosed.
func (r *Replicator) Member(ctx context.Context, actor store.Actor, nodeID, action string) (store.Result, error) {
	actor.Node = r.cfg.NodeID
	cmd, err := store.NewCommand(newCommandID("member"), actor,
		store.ClusterMember{NodeID: nodeID, Action: action})
	if err != nil {
		return store.Result{}, err
	}
	res, err := r.submitCluster(ctx, cmd)
	if err != nil {
		return res, err
	}
	if res.Applied() {
		r.pokeLeader(ctx)
	}
	return res, nil
}

// TransferLeadership hands leadership to the voter named to, or to the
// most up-to-date voter when to is "". It is done by the leader (called
// there if this node is not). Errors: ErrUnknownNode when to is not a
// voter, ErrNotLeader when no leader is known or leadership moved meanwhile,
// ErrUnreachable, ErrTimeout, ErrClosed.
func (r *Replicator) TransferLeadership(ctx context.Context, to string) error {
	ra, addr, err := r.leader()
	if err != nil {
		return err
	}
	if addr != "" {
		return r.call(ctx, addr, pathLeadership, leadershipRequest{To: to}, nil)
	}
	var fut raft.Future
	if to == "" {
		fut = ra.LeadershipTransfer()
	} else {
		f := ra.GetConfiguration()
		if err := f.Error(); err != nil {
			return translate(err)
		}
		var target *raft.Server
		for _, s := range f.Configuration().Servers {
			if string(s.ID) == to && s.Suffrage == raft.Voter {
				target = &s
			}
		}
		if target == nil {
			return fmt.Errorf("%w: %q is not a voter", ErrUnknownNode, to)
		}
		if target.ID == raft.ServerID(r.cfg.NodeID) {
			return nil // leads already
		}
		fut = ra.LeadershipTransferToServer(target.ID, target.Address)
	}
	done := make(chan error, 1)
	go func() { done <- fut.Error() }()
	select {
	case err := <-done:
		if err != nil {
			return translate(err)
		}
		r.log.Info("leadership transferred", "to", to)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-r.closing:
		return ErrClosed
	}
}

type leadershipRequest struct {
	To string `json:"to"`
}

func (r *Replicator) handleLeadership(w http.ResponseWriter, req *http.Request) {
	var in leadershipRequest
	if !readRPC(w, req, &in) {
		return
	}
	if _, addr, err := r.leader(); err != nil || addr != "" {
		writeRPCError(w, ErrNotLeader)
		return
	}
	if err := r.TransferLeadership(req.Context(), in.To); err != nil {
		writeRPCError(w, err)
		return
	}
	writeRPC(w, nil)
}

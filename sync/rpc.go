package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"baoxue/sync/pki"
)

// rpcTimeout bounds a cluster call whose context has no deadline.
const rpcTimeout = 10 * time.Second

// maxRPCBody bounds a cluster RPC request or response body.
const maxRPCBody = 32 << 20

// rpcServer serves node-to-node calls: HTTP/1.1 over the cluster port's 'H'
// streams, whose peers all hold a certificate from the cluster CA (the port
// refuses the others before HTTP starts). Handlers find the calling node
// with peerID. Handle may be called before or after the server starts.
type rpcServer struct {
	mux *http.ServeMux
	srv *http.Server
	log *slog.Logger
	// check refuses calls from peers the handshake would refuse now, on
	// connections opened before (a node removed meanwhile); nil: none.
	check pki.PeerCheck
}

func newRPCServer(log *slog.Logger, check pki.PeerCheck) *rpcServer {
	s := &rpcServer{mux: http.NewServeMux(), log: log, check: check}
	s.srv = &http.Server{
		Handler:           http.MaxBytesHandler(http.HandlerFunc(s.checkCaller), maxRPCBody),
		ReadHeaderTimeout: transportTimeout,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return s
}

// Handle registers h for path ("/cluster/...") on the cluster RPC server.
// Requests are JSON POSTs made by (*Replicator).call; answer with
// writeRPC and writeRPCError.
func (s *rpcServer) Handle(path string, h http.Handler) { s.mux.Handle(path, h) }

// checkCaller refuses a call from a peer whose certificate is no longer
// accepted and closes its connection; others go to the mux.
func (s *rpcServer) checkCaller(w http.ResponseWriter, r *http.Request) {
	if s.check != nil && r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		if err := s.check(r.TLS.PeerCertificates[0]); err != nil {
			s.log.Warn("cluster call refused", "peer", peerID(r), "err", err)
			w.Header().Set("Connection", "close")
			writeRPCError(w, ErrForbidden)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// serve runs the server on l until close.
func (s *rpcServer) serve(l net.Listener) {
	if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		s.log.Error("cluster rpc server stopped", "err", err)
	}
}

func (s *rpcServer) close(ctx context.Context) error {
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
		return fmt.Errorf("close cluster rpc server: %w", err)
	}
	return nil
}

// peerID is the node ID in the calling node's certificate ("" if none,
// which the cluster port never lets through to an RPC handler).
func peerID(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return ""
	}
	return r.TLS.PeerCertificates[0].Subject.CommonName
}

// rpcError is the body of a failed call.
type rpcError struct {
	Error string `json:"error"`
	Code  string `json:"code,omitempty"`
}

// rpcCodes maps the package's errors to the codes carried between nodes,
// so that a caller sees the same sentinel the remote handler returned.
var rpcCodes = []struct {
	err    error
	code   string
	status int
}{
	{ErrNotLeader, "not_leader", http.StatusConflict},
	{ErrTimeout, "timeout", http.StatusGatewayTimeout},
	{ErrClosed, "closed", http.StatusServiceUnavailable},
	{ErrDiskFull, "disk_full", http.StatusInsufficientStorage},
	{ErrTokenInvalid, "token_invalid", http.StatusForbidden},
	{ErrTokenUsed, "token_used", http.StatusForbidden},
	{ErrTokenExpired, "token_expired", http.StatusForbidden},
	{ErrJoinInvalid, "join_invalid", http.StatusBadRequest},
	{ErrTooManyJoins, "too_many_joins", http.StatusTooManyRequests},
	{ErrUnknownNode, "unknown_node", http.StatusNotFound},
	{ErrNotCA, "not_ca", http.StatusMisdirectedRequest},
	{ErrForbidden, "forbidden", http.StatusForbidden},
	{ErrUnreachable, "unreachable", http.StatusBadGateway},
}

// writeRPC answers a call with v as JSON.
func writeRPC(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if v == nil {
		v = struct{}{}
	}
	json.NewEncoder(w).Encode(v)
}

// writeRPCError answers a call with err. The package's sentinels keep their
// identity across the call (see rpcCodes); other errors arrive as text.
func writeRPCError(w http.ResponseWriter, err error) {
	body, status := rpcError{Error: err.Error()}, http.StatusInternalServerError
	for _, c := range rpcCodes {
		if errors.Is(err, c.err) {
			body.Code, status = c.code, c.status
			break
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// readRPC decodes a call's JSON body into v; on failure it has answered
// 400 and returns false.
func readRPC(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeRPCError(w, fmt.Errorf("method %s not allowed", r.Method))
		return false
	}
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(rpcError{Error: "decode request: " + err.Error()})
		return false
	}
	return true
}

// newRPCClient is the HTTP client of cluster calls: every connection is an
// 'H' stream of the cluster port, with this node's certificate. Idle
// connections are kept a while so a draining outbox reuses one.
func newRPCClient(p *clusterPort) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return p.dial(ctx, addr, streamRPC)
		},
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     2 * time.Minute,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}}
}

// call makes a cluster RPC: it POSTs in as JSON to path on the node at addr
// (its cluster address) and decodes the answer into out (nil: ignore it).
// Without a deadline in ctx it gives up after rpcTimeout.
//
// Errors: ErrUnreachable when the node does not answer (dial, TLS, I/O or
// deadline; the call may or may not have run there); ErrUntrustedPeer
// (wrapped in ErrUnreachable) when the node's certificate is not the
// cluster's; ErrClosed when this Replicator is not open; the remote
// handler's sentinel (ErrNotLeader, ErrTimeout, ...) when it returned one;
// otherwise an error with the remote text. ctx's error if ctx is cancelled.
func (r *Replicator) call(ctx context.Context, addr, path string, in, out any) error {
	r.mu.RLock()
	client := r.rpcClient
	r.mu.RUnlock()
	if client == nil {
		return ErrClosed
	}
	return callWith(ctx, client, addr, path, in, out)
}

// callWith is call with client, for callers that hold r.mu (Open).
func callWith(ctx context.Context, client *http.Client, addr, path string, in, out any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, rpcTimeout)
		defer cancel()
	}
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode %s request: %w", path, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("call %s%s: %w", addr, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		if cerr := ctx.Err(); errors.Is(cerr, context.Canceled) {
			return cerr
		}
		if errors.Is(err, ErrUntrustedPeer) {
			return fmt.Errorf("%w: %s: %w", ErrUnreachable, addr, ErrUntrustedPeer)
		}
		// %v: the net and tls errors stay inside the package.
		return fmt.Errorf("%w: %s%s: %v", ErrUnreachable, addr, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxRPCBody))
	if err != nil {
		return fmt.Errorf("%w: %s%s: read answer: %v", ErrUnreachable, addr, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e rpcError
		if json.Unmarshal(raw, &e) != nil || e.Error == "" {
			return fmt.Errorf("%s%s: HTTP %d", addr, path, resp.StatusCode)
		}
		for _, c := range rpcCodes {
			if c.code == e.Code {
				return &remoteError{err: c.err, msg: e.Error}
			}
		}
		return fmt.Errorf("%s%s: %s", addr, path, e.Error)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode %s answer from %s: %w", path, addr, err)
	}
	return nil
}

// remoteError is a sentinel error returned by another node's handler, with
// that node's message.
type remoteError struct {
	err error
	msg string
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.err }

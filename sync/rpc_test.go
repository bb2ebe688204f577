package sync

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestCall: a cluster call reaches a handler registered with Handle over
// mutual TLS, the handler sees the caller's node ID, and the package's
// sentinels survive the trip; a node that does not answer is
// ErrUnreachable.
func TestCall(t *testing.T) {
	dir := t.TempDir()
	r := mustOpen(t, testConfig(t, dir), mustOpenDB(t, dir))
	type echo struct {
		Peer string `json:"peer"`
		Msg  string `json:"msg"`
	}
	r.rpc.Handle("/test/echo", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var in echo
		if !readRPC(w, req, &in) {
			return
		}
		switch in.Msg {
		case "not leader":
			writeRPCError(w, fmt.Errorf("%w: ask bureau", ErrNotLeader))
		case "plain":
			writeRPCError(w, errors.New("something else"))
		default:
			writeRPC(w, echo{Peer: peerID(req), Msg: in.Msg})
		}
	}))
	ctx := context.Background()
	addr := r.AdvertiseAddr()

	var out echo
	if err := r.call(ctx, addr, "/test/echo", echo{Msg: "hello"}, &out); err != nil || out.Peer != "n1" || out.Msg != "hello" {
		t.Errorf("call = %+v, %v; want the echo with peer n1", out, err)
	}
	err := r.call(ctx, addr, "/test/echo", echo{Msg: "not leader"}, nil)
	if !errors.Is(err, ErrNotLeader) || !strings.Contains(err.Error(), "ask bureau") {
		t.Errorf("remote ErrNotLeader arrived as %v", err)
	}
	if err := r.call(ctx, addr, "/test/echo", echo{Msg: "plain"}, nil); err == nil || !strings.Contains(err.Error(), "something else") {
		t.Errorf("remote plain error arrived as %v", err)
	}
	if err := r.call(ctx, addr, "/test/none", echo{}, nil); err == nil {
		t.Error("call to an unknown path succeeded")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	if err := r.call(ctx, dead, "/test/echo", echo{}, nil); !errors.Is(err, ErrUnreachable) {
		t.Errorf("call to a closed port = %v, want ErrUnreachable", err)
	}
	// A server that accepts and never answers: the caller's deadline ends it.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	tctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := r.call(tctx, silent.Addr().String(), "/test/echo", echo{}, nil); !errors.Is(err, ErrUnreachable) {
		t.Errorf("call to a silent server = %v, want ErrUnreachable", err)
	}

	mustClose(t, r)
	if err := r.call(ctx, addr, "/test/echo", echo{}, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("call after Close = %v, want ErrClosed", err)
	}
}

// TestDialFromClusterIP: outgoing cluster connections leave from the IP of
// ClusterAddr, so a proxy in front of another node can tell nodes apart.
func TestDialFromClusterIP(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.ClusterAddr = "127.0.0.7:0"
	r := mustOpen(t, cfg, mustOpenDB(t, dir))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	from := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			from <- err.Error()
			return
		}
		from <- c.RemoteAddr().(*net.TCPAddr).IP.String()
		c.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r.call(ctx, ln.Addr().String(), "/x", struct{}{}, nil) // fails: not TLS; the source is what counts
	if got := <-from; got != "127.0.0.7" {
		t.Errorf("connection came from %s, want 127.0.0.7", got)
	}
}

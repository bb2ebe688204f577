package sync

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"baoxue/sync/pki"
)

// transportTimeout is the I/O deadline of one RPC (Raft scales it up for
// snapshots by their size). Raft's usual 10s; an AppendEntries of
// MaxAppendEntries commands fits within it on a slow link.
const transportTimeout = 10 * time.Second

// handshakeTimeout bounds the TLS handshake and the stream byte on an
// accepted connection, so that a silent client cannot hold a goroutine.
const handshakeTimeout = 10 * time.Second

// Stream bytes: the first byte a client writes after the TLS handshake
// says what the connection carries.
const (
	streamRaft byte = 'R' // Raft's NetworkTransport; needs a cluster certificate
	streamRPC  byte = 'H' // HTTP/1.1 cluster RPC; needs a cluster certificate
	streamJoin byte = 'J' // HTTP/1.1 join request; no client certificate
)

// clusterPort is a node's one cluster listener: TLS, then one byte choosing
// the stream. Raft streams and RPCs need a client certificate issued by the
// cluster CA; a join does not (it carries a token instead). Outgoing
// connections are bound to this node's cluster IP so that a proxy in front
// of another node can tell where a connection comes from.
type clusterPort struct {
	ln        net.Listener
	id        *pki.Identity
	advertise net.Addr
	localIP   net.IP // source address of outgoing connections; nil: any
	log       *slog.Logger
	// admitted reports whether a node may use raft and RPC streams (not
	// removed from the cluster). Nil admits every certified node.
	admitted func(nodeID string) bool

	raft, rpc, join chan net.Conn

	closing   chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// listenCluster binds addr. Nothing is accepted until start: a joining
// node binds first (so a port in use fails early) and gets its certificate
// after.
func listenCluster(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on cluster address %s: %w", addr, err)
	}
	return ln, nil
}

func (p *clusterPort) start() {
	p.wg.Add(1)
	go p.acceptLoop()
}

func (p *clusterPort) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			select {
			case <-p.closing:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			p.log.Warn("cluster accept", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.route(c)
		}()
	}
}

// route completes the handshake, reads the stream byte and hands the
// connection on, or closes it.
func (p *clusterPort) route(c net.Conn) {
	tc := tls.Server(c, p.id.ServerConfig())
	tc.SetDeadline(time.Now().Add(handshakeTimeout))
	var b [1]byte
	if err := tc.Handshake(); err != nil {
		p.log.Debug("cluster handshake refused", "remote", c.RemoteAddr().String(), "err", err)
		c.Close()
		return
	}
	if _, err := io.ReadFull(tc, b[:]); err != nil {
		c.Close()
		return
	}
	tc.SetDeadline(time.Time{})
	peer := ""
	if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
		// Verified by the handshake (VerifyClientCertIfGiven).
		peer = certs[0].Subject.CommonName
	}
	var ch chan net.Conn
	switch b[0] {
	case streamRaft:
		ch = p.raft
	case streamRPC:
		ch = p.rpc
	case streamJoin:
		ch = p.join
	default:
		p.log.Debug("cluster stream refused: unknown stream byte", "remote", c.RemoteAddr().String())
		tc.Close()
		return
	}
	if b[0] != streamJoin {
		if peer == "" {
			p.log.Warn("cluster stream refused: no client certificate", "remote", c.RemoteAddr().String(), "stream", string(b[:]))
			tc.Close()
			return
		}
		if p.admitted != nil && !p.admitted(peer) {
			p.log.Warn("cluster stream refused: node removed from the cluster", "peer", peer, "remote", c.RemoteAddr().String())
			tc.Close()
			return
		}
	}
	select {
	case ch <- tc:
	case <-p.closing:
		tc.Close()
	}
}

// dial opens a stream of the given kind to addr with this node's
// certificate.
func (p *clusterPort) dial(ctx context.Context, addr string, stream byte) (net.Conn, error) {
	return dialStream(ctx, addr, p.localIP, p.id.ClientConfig(), stream)
}

// dialStream dials addr from localIP (nil: any), completes the TLS
// handshake with cfg and writes the stream byte.
func dialStream(ctx context.Context, addr string, localIP net.IP, cfg *tls.Config, stream byte) (net.Conn, error) {
	d := net.Dialer{KeepAlive: time.Minute}
	if localIP != nil {
		d.LocalAddr = &net.TCPAddr{IP: localIP}
	}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(c, cfg)
	if dl, ok := ctx.Deadline(); ok {
		tc.SetDeadline(dl)
	}
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := tc.Write([]byte{stream}); err != nil {
		c.Close()
		return nil, err
	}
	tc.SetDeadline(time.Time{})
	return tc, nil
}

// close stops accepting and closes the listener; streams handed on are
// their owners' to close.
func (p *clusterPort) close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.closing)
		err = p.ln.Close()
		p.wg.Wait()
	})
	return err
}

// connListener is a net.Listener fed by the cluster port's channel for one
// stream kind.
type connListener struct {
	p    *clusterPort
	ch   chan net.Conn
	once sync.Once
	done chan struct{}
}

func (p *clusterPort) listener(ch chan net.Conn) *connListener {
	return &connListener{p: p, ch: ch, done: make(chan struct{})}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-l.p.closing:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.p.advertise }

// streamLayer is Raft's StreamLayer on the cluster port.
type streamLayer struct {
	*connListener
}

var _ raft.StreamLayer = streamLayer{}

func (s streamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return s.p.dial(ctx, string(address), streamRaft)
}

// newTransport returns Raft's network transport on the cluster port.
//
// Replication is not pipelined (MaxRPCsInFlight 1): hashicorp/raft's
// pipeline can stall after a follower error while heartbeats still flow
// (hashicorp/raft#612), which on a flaky link would leave a follower
// silently behind.
func newTransport(p *clusterPort, logger hclog.Logger) *raft.NetworkTransport {
	return raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:          streamLayer{p.listener(p.raft)},
		Logger:          logger,
		MaxPool:         3,
		MaxRPCsInFlight: 1,
		Timeout:         transportTimeout,
	})
}

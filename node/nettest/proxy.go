// Package nettest is a fault-injecting TCP proxy for multi-node tests: it
// stands at a node's advertised cluster address, forwards to the node's real
// cluster port, and can cut, black-hole, delay and break the connections that
// pass through it, counting the bytes each way.
//
// It models what a township's WAN link does to TCP, not what it does to IP
// packets. TCP never hands an application a stream with a hole in it, so the
// proxy never drops bytes from the middle of a stream:
//
//   - Cut and CutFrom: the link is down and the peer is told at once. Open
//     connections are reset and new ones are reset as soon as they arrive
//     (like a router answering "unreachable", or the far machine being off).
//   - Blackhole and BlackholeFrom: the link is down and nobody is told. Open
//     connections stall (bytes queue up, writes eventually block, reads wait
//     for deadlines); new connections are accepted but not forwarded. Heal
//     lets everything flow again with nothing lost, as TCP's retransmissions
//     would after a short outage; a sender's own deadlines decide whether it
//     gives up first, as they would on a real link.
//   - Delay: one-way latency, added to every chunk in both directions, in
//     order, without limiting throughput (a long fat pipe, not a slow one).
//   - DropRate: the probability that a chunk forwarded (one read from either
//     side, at most 32 KiB) is the one on which the link breaks the
//     connection: both sides are reset and must reconnect and retry. That is
//     how heavy loss shows to an application over TCP (retransmission
//     timeouts ending in a reset, NAT entries expiring, a 3G modem dropping
//     its session); it exercises resends and exactly-once, which silent
//     corruption would not.
//
// Only addresses in 127.0.0.0/8 are accepted: tests never talk to the
// network. Give each node its own loopback address (127.0.0.2, 127.0.0.3,
// ...) and bind its outgoing dials to it, so that CutFrom can tell nodes
// apart by source address.
package nettest

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNotLoopback is returned by New for an address outside 127.0.0.0/8.
var ErrNotLoopback = errors.New("nettest: address is not in 127.0.0.0/8")

const (
	chunkSize   = 32 << 10
	queueDepth  = 64 // chunks in flight per direction when delayed or stalled
	dialTimeout = 5 * time.Second
)

// Proxy forwards TCP connections from its listen address to a target and
// injects faults. Its methods are safe for concurrent use.
type Proxy struct {
	ln     net.Listener
	target string

	mu        sync.Mutex
	changed   *sync.Cond // broadcast on any change of the settings below
	cutAll    bool
	cutFrom   map[string]bool
	stallAll  bool
	stallFrom map[string]bool
	delay     time.Duration
	dropRate  float64
	conns     map[*link]struct{}
	closed    bool

	in, out  atomic.Int64                // bytes forwarded client→target, target→client
	bySrc    map[string]*[2]atomic.Int64 // the same per source address; guarded by mu
	accepted atomic.Int64
	wg       sync.WaitGroup
}

// New listens on listen (host:port, port 0 for a free one) and forwards every
// connection to target. Both hosts must be IP addresses in 127.0.0.0/8
// (ErrNotLoopback). The proxy starts healthy: no cut, no delay, no drops.
func New(listen, target string) (*Proxy, error) {
	for _, a := range []string{listen, target} {
		if err := checkLoopback(a); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("nettest: listen: %w", err)
	}
	p := &Proxy{ln: ln, target: target, cutFrom: map[string]bool{}, stallFrom: map[string]bool{}, conns: map[*link]struct{}{},
		bySrc: map[string]*[2]atomic.Int64{}}
	p.changed = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.acceptLoop()
	return p, nil
}

func checkLoopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return fmt.Errorf("nettest: %q: %w", hostport, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Is4() || !netip.MustParsePrefix("127.0.0.0/8").Contains(ip) {
		return fmt.Errorf("%w: %q", ErrNotLoopback, hostport)
	}
	return nil
}

// Addr is the address the proxy listens on (with the port filled in).
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Target is the address the proxy forwards to.
func (p *Proxy) Target() string { return p.target }

// Cut takes the link down loudly: every open connection is reset and new
// ones are reset on arrival, until Heal.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutAll = true
	p.resetLocked(func(string) bool { return true })
}

// CutFrom is Cut for connections whose source address is one of srcIPs only
// (e.g. "127.0.0.3"); others pass. Calls add up.
func (p *Proxy) CutFrom(srcIPs ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ip := range srcIPs {
		p.cutFrom[ip] = true
	}
	p.resetLocked(func(src string) bool { return p.cutFrom[src] })
}

// Blackhole takes the link down silently: nothing is forwarded and nothing is
// closed until Heal, which lets the queued bytes through.
func (p *Proxy) Blackhole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stallAll = true
	p.changed.Broadcast()
}

// BlackholeFrom is Blackhole for connections from srcIPs only. Calls add up.
func (p *Proxy) BlackholeFrom(srcIPs ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ip := range srcIPs {
		p.stallFrom[ip] = true
	}
	p.changed.Broadcast()
}

// Heal ends every Cut, CutFrom, Blackhole and BlackholeFrom. Delay and
// DropRate are properties of the link and stay.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutAll, p.stallAll = false, false
	clear(p.cutFrom)
	clear(p.stallFrom)
	p.changed.Broadcast()
}

// HealFrom ends CutFrom and BlackholeFrom for srcIPs (not Cut or Blackhole).
func (p *Proxy) HealFrom(srcIPs ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ip := range srcIPs {
		delete(p.cutFrom, ip)
		delete(p.stallFrom, ip)
	}
	p.changed.Broadcast()
}

// Delay sets the one-way latency added to every chunk in each direction
// (round trip: 2d). 0 removes it. It applies to chunks read from then on.
func (p *Proxy) Delay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = max(d, 0)
	p.changed.Broadcast()
}

// DropRate sets the probability (0 to 1) that forwarding a chunk breaks its
// connection (both sides reset). 0 turns it off.
func (p *Proxy) DropRate(prob float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropRate = min(max(prob, 0), 1)
}

// Bytes returns the bytes forwarded so far: in from clients to the target,
// out from the target back to clients.
func (p *Proxy) Bytes() (in, out int64) { return p.in.Load(), p.out.Load() }

// BytesFrom is Bytes for the connections from source address src only.
func (p *Proxy) BytesFrom(src string) (in, out int64) {
	p.mu.Lock()
	c := p.bySrc[src]
	p.mu.Unlock()
	if c == nil {
		return 0, 0
	}
	return c[0].Load(), c[1].Load()
}

// Accepted is the number of connections the proxy has accepted so far.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// Open is the number of connections open through the proxy now.
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Close stops listening, resets every connection and waits for the proxy's
// goroutines. It returns the listener's close error.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	err := p.ln.Close()
	p.resetLocked(func(string) bool { return true })
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

// cut reports whether connections from src are cut. Called with mu held.
func (p *Proxy) cutLocked(src string) bool { return p.closed || p.cutAll || p.cutFrom[src] }

// stalled reports whether connections from src are black-holed. Called with
// mu held.
func (p *Proxy) stalledLocked(src string) bool { return p.stallAll || p.stallFrom[src] }

// resetLocked resets the connections whose source matches. Called with mu held.
func (p *Proxy) resetLocked(match func(src string) bool) {
	for l := range p.conns {
		if match(l.src) {
			l.resetLocked()
		}
	}
	p.changed.Broadcast()
}

func (p *Proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // e.g. too many open files
			continue
		}
		p.accepted.Add(1)
		src := ""
		if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
			src = a.IP.String()
		}
		l := &link{p: p, src: src, client: c.(*net.TCPConn)}
		p.mu.Lock()
		if p.bySrc[src] == nil {
			p.bySrc[src] = new([2]atomic.Int64)
		}
		l.counts = p.bySrc[src]
		if p.cutLocked(src) {
			p.mu.Unlock()
			resetConn(l.client)
			continue
		}
		p.conns[l] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go l.run()
	}
}

// link is one client connection and its connection to the target.
type link struct {
	p      *Proxy
	src    string
	client *net.TCPConn
	server *net.TCPConn // set once dialled; guarded by p.mu
	reset  bool         // guarded by p.mu
	counts *[2]atomic.Int64
}

// resetLocked closes both sides with RST. Called with p.mu held.
func (l *link) resetLocked() {
	if l.reset {
		return
	}
	l.reset = true
	resetConn(l.client)
	if l.server != nil {
		resetConn(l.server)
	}
}

func resetConn(c *net.TCPConn) {
	c.SetLinger(0) // RST, not FIN: the peer learns at once that the link broke
	c.Close()
}

// waitOpen blocks while the link is black-holed; it reports false once the
// link is reset or cut.
func (l *link) waitOpen() bool {
	p := l.p
	p.mu.Lock()
	defer p.mu.Unlock()
	for !l.reset && !p.cutLocked(l.src) && p.stalledLocked(l.src) {
		p.changed.Wait()
	}
	if !l.reset && p.cutLocked(l.src) {
		l.resetLocked()
	}
	return !l.reset
}

func (l *link) run() {
	p := l.p
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		if !l.reset { // both directions ended cleanly
			l.reset = true
			l.client.Close()
			if l.server != nil {
				l.server.Close()
			}
		}
		delete(p.conns, l)
		p.mu.Unlock()
	}()
	// A black-holed link does not even pass the SYN on.
	if !l.waitOpen() {
		return
	}
	d := net.Dialer{Timeout: dialTimeout}
	sc, err := d.Dial("tcp", p.target)
	if err != nil { // the node behind the proxy is down: reset the client
		p.mu.Lock()
		l.resetLocked()
		p.mu.Unlock()
		return
	}
	p.mu.Lock()
	l.server = sc.(*net.TCPConn)
	if l.reset {
		resetConn(l.server)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); l.pipe(l.client, l.server, &p.in, &l.counts[0]) }()
	go func() { defer wg.Done(); l.pipe(l.server, l.client, &p.out, &l.counts[1]) }()
	wg.Wait()
}

type chunk struct {
	data []byte
	at   time.Time // when it was read
}

// pipe copies src to dst through the faults. When src ends cleanly, dst's
// write side is shut (FIN passes through); on any error or fault both sides
// are reset.
func (l *link) pipe(src, dst *net.TCPConn, count, srcCount *atomic.Int64) {
	p := l.p
	q := make(chan chunk, queueDepth)
	readErr := make(chan error, 1)
	go func() {
		defer close(q)
		for {
			buf := make([]byte, chunkSize)
			n, err := src.Read(buf)
			if n > 0 {
				q <- chunk{buf[:n], time.Now()}
			}
			if err != nil {
				readErr <- err
				return
			}
		}
	}()
	fail := func() {
		p.mu.Lock()
		l.resetLocked()
		p.mu.Unlock()
		for range q { // let the reader finish: its conn is closed now
		}
	}
	for c := range q {
		if !l.waitOpen() {
			fail()
			return
		}
		p.mu.Lock()
		delay, drop := p.delay, p.dropRate
		p.mu.Unlock()
		if wait := time.Until(c.at.Add(delay)); wait > 0 {
			time.Sleep(wait)
		}
		if drop > 0 && rand.Float64() < drop {
			fail()
			return
		}
		// Check again after the delay: a cut during it loses the chunk.
		if !l.waitOpen() {
			fail()
			return
		}
		n, err := dst.Write(c.data)
		count.Add(int64(n))
		srcCount.Add(int64(n))
		if err != nil {
			fail()
			return
		}
	}
	if err := <-readErr; errors.Is(err, io.EOF) {
		dst.CloseWrite()
		return
	}
	fail()
}

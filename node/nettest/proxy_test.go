package nettest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// echoServer answers every connection by echoing it until EOF, then closes.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func newProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := New("127.0.0.1:0", target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// dialFrom connects to addr from the loopback address src ("" for any).
func dialFrom(t *testing.T, src, addr string) *net.TCPConn {
	t.Helper()
	d := net.Dialer{Timeout: 2 * time.Second}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// roundTrip writes msg and reads its echo within timeout.
func roundTrip(c net.Conn, msg []byte, timeout time.Duration) error {
	c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write(msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return errors.New("echo differs")
	}
	return nil
}

// dialBroken reports whether a new connection from src to addr fails within
// timeout: reset during the handshake or right after it.
func dialBroken(src, addr string, timeout time.Duration) bool {
	d := net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return true
	}
	defer c.Close()
	return broken(c, timeout)
}

// broken reports whether c fails within timeout (reset or closed), as
// opposed to working or hanging.
func broken(c net.Conn, timeout time.Duration) bool {
	err := roundTrip(c, []byte("ping"), timeout)
	return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}

func TestForwardsAndCounts(t *testing.T) {
	p := newProxy(t, echoServer(t))
	c := dialFrom(t, "", p.Addr())
	msg := bytes.Repeat([]byte("保学"), 100_000) // 600 kB: many chunks
	if err := roundTrip(c, msg, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	// A clean close passes through: the echo server sees EOF and closes.
	c.CloseWrite()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("after CloseWrite: read %d, %v; want EOF", n, err)
	}
	in, out := p.Bytes()
	if in != int64(len(msg)) || out != int64(len(msg)) {
		t.Errorf("Bytes() = %d, %d; want %d both ways", in, out, len(msg))
	}
	if p.Accepted() != 1 {
		t.Errorf("Accepted() = %d, want 1", p.Accepted())
	}
}

func TestOnlyLoopback(t *testing.T) {
	for _, tc := range []struct{ listen, target string }{
		{"0.0.0.0:0", "127.0.0.1:1"},
		{"127.0.0.1:0", "10.0.0.1:80"},
		{"localhost:0", "127.0.0.1:1"},
		{"[::1]:0", "127.0.0.1:1"},
		{"127.0.0.1", "127.0.0.1:1"},
	} {
		if p, err := New(tc.listen, tc.target); err == nil {
			p.Close()
			t.Errorf("New(%q, %q) accepted", tc.listen, tc.target)
		}
	}
	if _, err := New("192.168.1.1:0", "127.0.0.1:1"); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("error %v, want ErrNotLoopback", err)
	}
}

func TestCutResetsAndHeals(t *testing.T) {
	p := newProxy(t, echoServer(t))
	old := dialFrom(t, "", p.Addr())
	if err := roundTrip(old, []byte("hello"), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	// The peer learns at once, even one that is only waiting to read.
	old.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := old.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("reading an open connection after Cut: %v, want a reset", err)
	}
	if !dialBroken("127.0.0.1", p.Addr(), 2*time.Second) {
		t.Error("a new connection works during Cut")
	}
	p.Heal()
	if err := roundTrip(dialFrom(t, "", p.Addr()), []byte("again"), 2*time.Second); err != nil {
		t.Errorf("after Heal: %v", err)
	}
}

func TestCutFromTellsNodesApart(t *testing.T) {
	p := newProxy(t, echoServer(t))
	a := dialFrom(t, "127.0.0.2", p.Addr())
	b := dialFrom(t, "127.0.0.3", p.Addr())
	if err := roundTrip(a, []byte("12345"), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if in, out := p.BytesFrom("127.0.0.2"); in != 5 || out != 5 {
		t.Errorf("BytesFrom(127.0.0.2) = %d, %d; want 5, 5", in, out)
	}
	if in, out := p.BytesFrom("127.0.0.3"); in != 0 || out != 0 {
		t.Errorf("BytesFrom(127.0.0.3) = %d, %d; want 0, 0", in, out)
	}
	p.CutFrom("127.0.0.2")
	if !broken(a, 2*time.Second) {
		t.Error("connection from the cut address still works")
	}
	if err := roundTrip(b, []byte("b"), 2*time.Second); err != nil {
		t.Errorf("connection from another address broke: %v", err)
	}
	if !dialBroken("127.0.0.2", p.Addr(), 2*time.Second) {
		t.Error("new connection from the cut address works")
	}
	if err := roundTrip(dialFrom(t, "127.0.0.4", p.Addr()), []byte("c"), 2*time.Second); err != nil {
		t.Errorf("new connection from another address: %v", err)
	}
	p.HealFrom("127.0.0.2")
	if err := roundTrip(dialFrom(t, "127.0.0.2", p.Addr()), []byte("a"), 2*time.Second); err != nil {
		t.Errorf("after HealFrom: %v", err)
	}
}

func TestBlackholeStallsThenDeliversEverything(t *testing.T) {
	p := newProxy(t, echoServer(t))
	c := dialFrom(t, "", p.Addr())
	if err := roundTrip(c, []byte("before"), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	p.Blackhole()
	fresh := dialFrom(t, "", p.Addr()) // the kernel accepts; nothing is forwarded
	for _, conn := range []net.Conn{c, fresh} {
		conn.Write([]byte("during"))
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if n, err := conn.Read(make([]byte, 16)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("during Blackhole: read %d bytes, %v; want a timeout", n, err)
		}
	}
	p.Heal()
	for _, conn := range []net.Conn{c, fresh} {
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		got := make([]byte, len("during"))
		if _, err := io.ReadFull(conn, got); err != nil || string(got) != "during" {
			t.Errorf("after Heal: %q, %v; want the stalled bytes", got, err)
		}
	}
}

func TestBlackholeFromOthersPass(t *testing.T) {
	p := newProxy(t, echoServer(t))
	a := dialFrom(t, "127.0.0.2", p.Addr())
	b := dialFrom(t, "127.0.0.3", p.Addr())
	p.BlackholeFrom("127.0.0.2")
	if err := roundTrip(a, []byte("a"), 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("black-holed source: %v, want a timeout", err)
	}
	if err := roundTrip(b, []byte("b"), 2*time.Second); err != nil {
		t.Errorf("other source: %v", err)
	}
}

func TestDelay(t *testing.T) {
	p := newProxy(t, echoServer(t))
	c := dialFrom(t, "", p.Addr())
	const d = 100 * time.Millisecond
	p.Delay(d)
	start := time.Now()
	if err := roundTrip(c, []byte("slow"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if rtt := time.Since(start); rtt < 2*d || rtt > 2*d+time.Second {
		t.Errorf("round trip %s with one-way delay %s", rtt, d)
	}
	// Latency, not a bandwidth limit: many chunks still take about one RTT.
	start = time.Now()
	if err := roundTrip(c, make([]byte, 2<<20), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if rtt := time.Since(start); rtt > 2*d+2*time.Second {
		t.Errorf("2 MB took %s with one-way delay %s", rtt, d)
	}
	p.Delay(0)
	start = time.Now()
	roundTrip(c, []byte("fast"), 5*time.Second)
	if rtt := time.Since(start); rtt > 50*time.Millisecond {
		t.Errorf("round trip %s after Delay(0)", rtt)
	}
}

func TestDropRate(t *testing.T) {
	p := newProxy(t, echoServer(t))
	p.DropRate(1)
	if !dialBroken("127.0.0.1", p.Addr(), 2*time.Second) {
		t.Error("DropRate(1): the connection survived a chunk")
	}
	p.DropRate(0.5)
	failed := 0
	const n = 100
	for range n {
		c := dialFrom(t, "", p.Addr())
		if roundTrip(c, []byte("x"), 2*time.Second) != nil {
			failed++
		}
		c.Close()
	}
	// Two chunks per round trip: P(survive) = 0.25. Bounds are ~6 sigma wide.
	if failed < 55 || failed > 95 {
		t.Errorf("DropRate(0.5): %d of %d round trips failed, want about 75", failed, n)
	}
	p.DropRate(0)
	if err := roundTrip(dialFrom(t, "", p.Addr()), []byte("x"), 2*time.Second); err != nil {
		t.Errorf("DropRate(0): %v", err)
	}
}

func TestTargetDown(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	p := newProxy(t, addr)
	c, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
	if err != nil {
		return // reset during the handshake: broken, as it should be
	}
	defer c.Close()
	if !broken(c, 2*time.Second) {
		t.Error("connection to a stopped target works")
	}
}

func TestCloseResetsConnections(t *testing.T) {
	p := newProxy(t, echoServer(t))
	c := dialFrom(t, "", p.Addr())
	p.Blackhole() // even a stalled connection is ended by Close
	c.Write([]byte("x"))
	done := make(chan struct{})
	go func() { p.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if !broken(c, 2*time.Second) {
		t.Error("connection works after Close")
	}
	if p.Open() != 0 {
		t.Errorf("Open() = %d after Close", p.Open())
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Error("proxy still accepts after Close")
	}
}

package node

// LAN tests: a "township server" and a "school PC", each a network namespace
// this test creates, joined by a veth pair with private addresses that exist
// only inside them, and a route 224.0.0.0/4 on the veth in each, so that no
// multicast leaves them. The node is the built binary, run in the server's
// namespace with its own host name; everything that looks for it runs in the
// school's: our `baoxue discover`, avahi, dig and mdns-scan, and raw sockets
// this test opens inside the school namespace to check what goes over the
// wire (IP TTL, legacy unicast answers, goodbye packets).

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// TestMDNSOnLAN runs a node in the township namespace, with its interface
// down at first, and checks what the school namespace sees.
func TestMDNSOnLAN(t *testing.T) {
	l := newLAN(t)
	bin := baoxueBinary(t)
	n := l.startNode(t, bin)

	// The interface comes up after the node started: it must be picked up.
	n.waitLog(t, 20*time.Second, "node started")
	if strings.Contains(n.log.String(), advertising) {
		t.Fatalf("advertised with the interface down:\n%s", n.log.String())
	}
	l.serverUp(t)
	n.waitLog(t, 3*mdnsPoll, advertising)
	instance := n.logValue(t, advertising, "instance")

	t.Run("discover", func(t *testing.T) {
		var p Peer
		waitFor(t, 10*time.Second, "discover to find the node", func() error {
			var err error
			p, err = l.discoverOne(t, bin, "bureau")
			return err
		})
		want := Peer{Name: instance, NodeID: "bureau", Role: "bureau", Cluster: p.Cluster,
			ClusterAddr: l.serverIP + ":7400", Version: p.Version, CA: true, Host: "township-server.local", Port: 8080,
			IPs: []string{l.serverIP}, URL: "http://township-server.local:8080", IPURL: "http://" + l.serverIP + ":8080"}
		if p.Cluster == "" || p.Version == "" || !strings.Contains(p.Name, "baoxue") {
			t.Errorf("found %+v: want a cluster id, a version and a readable name", p)
		}
		if fmt.Sprint(p) != fmt.Sprint(want) {
			t.Errorf("discover found\n %+v\nwant\n %+v", p, want)
		}
	})

	t.Run("answers have IP TTL 255", func(t *testing.T) {
		// A full mDNS query from port 5353, as avahi or mdns-scan send it.
		ttls := l.query(t, 5353, "_baoxue._tcp.local.", dns.TypePTR, func(m *dns.Msg, ttl int) bool { return true })
		if len(ttls) == 0 {
			t.Fatal("no answer to a multicast PTR query")
		}
		for _, a := range ttls {
			if a.ttl != 255 {
				t.Errorf("answer from %v sent with IP TTL %d, want 255 (RFC 6762 §11)", a.from, a.ttl)
			}
		}
	})

	t.Run("legacy unicast query is answered", func(t *testing.T) {
		// A one-shot query from an ephemeral port to the group (RFC 6762 §6.7).
		as := l.query(t, 0, "_baoxue._tcp.local.", dns.TypePTR, func(*dns.Msg, int) bool { return true })
		if len(as) == 0 {
			t.Fatal("no unicast answer to a legacy query")
		}
		a := as[0]
		if a.from.Port != 5353 || !a.from.IP.Equal(net.ParseIP(l.serverIP)) || a.ttl != 255 {
			t.Errorf("answer from %v with IP TTL %d, want %s:5353 with 255", a.from, a.ttl, l.serverIP)
		}
		m := a.msg
		if m.Id != legacyQueryID || len(m.Question) != 1 || m.Question[0].Name != "_baoxue._tcp.local." {
			t.Errorf("answer id %d question %v: want the query's id %d and question echoed", m.Id, m.Question, legacyQueryID)
		}
		var ptr *dns.PTR
		for _, rr := range append(m.Answer, m.Extra...) {
			if rr.Header().Ttl > legacyTTL || rr.Header().Class != dns.ClassINET {
				t.Errorf("record %v: want TTL at most %d and no cache-flush bit", rr, legacyTTL)
			}
			if p, ok := rr.(*dns.PTR); ok {
				ptr = p
			}
		}
		if ptr == nil || unescapeDNS(ptr.Ptr) != instance+"._baoxue._tcp.local." {
			t.Errorf("answer %v: want a PTR to %q", m.Answer, instance)
		}
	})

	t.Run("dig", func(t *testing.T) {
		dig := needTool(t, "dig")
		// dig sends from an ephemeral port: a legacy unicast query. Sent to
		// the node's address, since dig (BIND 9.18) connect()s its socket to
		// the server it is given, so with @224.0.0.251 the kernel drops every
		// answer: no responder can answer it there, avahi neither (tried).
		out, err := l.exec(l.school, dig, "@"+l.serverIP, "-p", "5353", "_baoxue._tcp.local", "PTR", "+time=2", "+tries=2").CombinedOutput()
		if err != nil {
			t.Fatalf("dig: %v\n%s", err, out)
		}
		words := strings.Join(strings.Fields(string(out)), " ")
		for _, want := range []string{"status: NOERROR", "IN PTR", "IN SRV 0 0 8080 township-server.local.", `"id=bureau"`, "IN A " + l.serverIP} {
			if !strings.Contains(words, want) {
				t.Errorf("dig answer lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("mdns-scan", func(t *testing.T) {
		scan := needTool(t, "mdns-scan")
		// mdns-scan drops answers whose IP TTL is not 255 and runs until
		// stopped; it prints "+ NAME" for each instance found.
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		defer cancel()
		cmd := l.exec(l.school, scan)
		cmd = exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), "+ "+instance+"._baoxue._tcp.local") {
			t.Errorf("mdns-scan did not find %q:\n%q", instance, out)
		}
	})

	avahi := l.startAvahi(t)
	t.Run("avahi", func(t *testing.T) {
		if avahi == nil {
			t.Skip("avahi is not available (see above)")
		}
		var line []string
		waitFor(t, 10*time.Second, "avahi to resolve the node", func() error {
			var err error
			line, err = avahi.resolved(t, instance)
			return err
		})
		// =;iface;proto;name;type;domain;host;address;port;txt
		if line[6] != "township-server.local" || line[7] != l.serverIP || line[8] != "8080" ||
			!strings.Contains(line[9], `"id=bureau"`) || !strings.Contains(line[9], `"role=bureau"`) {
			t.Errorf("avahi resolved %q, want host township-server.local, %s, port 8080, TXT id=bureau role=bureau", line, l.serverIP)
		}
	})

	t.Run("goodbye on shutdown", func(t *testing.T) {
		// Listen in the school for the goodbye: our records with TTL 0.
		bye := l.listen(t)
		n.stop(t)
		if !bye.wait(4*time.Second, func(m *dns.Msg) bool {
			for _, rr := range m.Answer {
				if p, ok := rr.(*dns.PTR); ok && p.Hdr.Name == "_baoxue._tcp.local." && p.Hdr.Ttl == 0 {
					return true
				}
			}
			return false
		}) {
			t.Fatal("no goodbye (PTR with TTL 0) seen after shutdown")
		}
		if avahi != nil {
			// avahi would keep its cached entry for the record's TTL without a goodbye.
			waitFor(t, 3*time.Second, "avahi to forget the node", func() error {
				if line, err := avahi.resolved(t, instance); err == nil {
					return fmt.Errorf("avahi still lists %q", line)
				}
				return nil
			})
		}
		peers := l.discover(t, bin)
		if len(peers) != 0 {
			t.Errorf("discover after shutdown found %+v", peers)
		}
	})
}

// TestDiscoverJoin joins a node in the school namespace to the cluster of the
// node in the server namespace with --join TOKEN --discover: the token's own
// addresses are made unreachable, so only discovery can find the cluster. A
// token with a wrong secret is refused with a clear message.
func TestDiscoverJoin(t *testing.T) {
	l := newLAN(t)
	bin := baoxueBinary(t)
	l.serverUp(t)
	bureau := l.startNode(t, bin)
	bureau.waitLog(t, 20*time.Second, advertising)

	token := l.createToken(t)
	// Point the token at an address nobody answers, so that a join that
	// works can only have found the cluster on the LAN.
	token = rewriteToken(t, token, func(m map[string]any) { m["addrs"] = []string{"192.0.2.1:7400"} })

	t.Run("wrong token", func(t *testing.T) {
		bad := rewriteToken(t, token, func(m map[string]any) { m["secret"] = strings.Repeat("0", 64) })
		out, err := l.join(t, bin, "intruder", bad)
		if err == nil {
			t.Fatalf("joined with a wrong secret:\n%s", out)
		}
		if !strings.Contains(out, "found "+l.serverIP+":7400") || !strings.Contains(out, "join token") {
			t.Errorf("want the cluster found on the LAN, then a refusal naming the join token:\n%s", out)
		}
		t.Logf("refused as it should be:\n%s", out)
	})

	t.Run("other cluster", func(t *testing.T) {
		other := rewriteToken(t, token, func(m map[string]any) { m["cluster"] = "no-such-cluster" })
		out, err := l.join(t, bin, "stray", other)
		if err == nil || !strings.Contains(out, "no node of cluster no-such-cluster answered on the LAN") {
			t.Errorf("err %v, want a clear message that the cluster was not found:\n%s", err, out)
		}
	})

	t.Run("joins", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var out syncBuffer
		cmd := l.exec(l.school, bin, "serve", "--data", t.TempDir(), "--node-id", "lapu", "--http", l.schoolIP+":8080",
			"--cluster-addr", l.schoolIP+":7400", "--join", token, "--discover", "--mdns=false",
			"--raft-heartbeat-timeout", "200ms", "--raft-election-timeout", "200ms", "--raft-lease-timeout", "200ms")
		cmd = exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
			if t.Failed() {
				t.Logf("joining node's output:\n%s", out.String())
			}
		}()
		waitFor(t, 30*time.Second, "the node to join", func() error {
			if !strings.Contains(out.String(), "joined the cluster") {
				return errors.New("not yet")
			}
			return nil
		})
		if !strings.Contains(out.String(), "via="+l.serverIP+":7400") {
			t.Errorf("joined, but not via the node found on the LAN (%s:7400)", l.serverIP)
		}
	})
}

// join runs a node in the school namespace with --join token --discover and
// returns its output once it exits (within 30 s, else it is killed).
func (l *lan) join(t *testing.T, bin, id, token string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := l.exec(l.school, bin, "serve", "--data", t.TempDir(), "--node-id", id, "--http", l.schoolIP+":0",
		"--cluster-addr", l.schoolIP+":0", "--join", token, "--discover", "--mdns=false")
	cmd = exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// createToken asks the server's node, as admin, for a non-voter join token.
func (l *lan) createToken(t *testing.T) string {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var conn net.Conn
			err := inNetns(l.school, func() error {
				var err error
				conn, err = (&net.Dialer{}).DialContext(ctx, network, addr)
				return err
			})
			return conn, err
		}}}
	post := func(path, bearer string, in, out any) {
		t.Helper()
		raw, _ := json.Marshal(in)
		req, _ := http.NewRequest("POST", "http://"+l.serverIP+":8080"+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil || resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s: HTTP %d, %v", path, resp.StatusCode, err)
		}
	}
	var login struct{ Token string }
	post("/api/v1/login", "", map[string]string{"username": "admin", "password": lanAdminPassword}, &login)
	var tok struct{ Token string }
	post("/api/v1/cluster/tokens", login.Token, map[string]any{"voter": false, "ttl": "1h"}, &tok)
	if tok.Token == "" {
		t.Fatal("no token")
	}
	return tok.Token
}

// rewriteToken changes a join token's fields (base64url JSON).
func rewriteToken(t *testing.T, token string, change func(map[string]any)) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	raw, _ = json.Marshal(m)
	return base64.RawURLEncoding.EncodeToString(raw)
}

const lanAdminPassword = "lan-test-pw"

// advertising is the node's log message once it advertises.
const advertising = `msg="advertising on the LAN"`

// lan is two network namespaces joined by a veth pair.
type lan struct {
	server, school     string // namespace names
	serverIf, schoolIf string
	serverIP, schoolIP string
}

var lanSeq atomic.Int32

// newLAN creates the namespaces, removed when the test ends. The server's
// interface is left down. It skips the test where namespaces cannot be made
// (outside CI).
func newLAN(t *testing.T) *lan {
	t.Helper()
	needTool(t, "ip")
	needTool(t, "unshare")
	if os.Geteuid() != 0 {
		skipOrFail(t, "LAN tests create network namespaces and need root")
	}
	seq := lanSeq.Add(1)
	id := fmt.Sprintf("%d%d", os.Getpid()%10000, seq)
	l := &lan{server: "bx-srv-" + id, school: "bx-sch-" + id, serverIf: "bxs" + id, schoolIf: "bxc" + id,
		serverIP: fmt.Sprintf("10.231.%d.1", seq), schoolIP: fmt.Sprintf("10.231.%d.2", seq)}
	if out, err := exec.Command("ip", "netns", "add", l.server).CombinedOutput(); err != nil {
		skipOrFail(t, fmt.Sprintf("cannot create a network namespace here: %v: %s", err, out))
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.server).Run() })
	l.ip(t, "netns", "add", l.school)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", l.school).Run() })
	// The veth is created inside the server namespace and one end moved:
	// it never exists in the namespace the test runs in.
	l.ip(t, "-n", l.server, "link", "add", l.serverIf, "type", "veth", "peer", "name", l.schoolIf, "netns", l.school)
	for _, s := range []struct{ ns, ifc, ip string }{{l.server, l.serverIf, l.serverIP}, {l.school, l.schoolIf, l.schoolIP}} {
		l.ip(t, "-n", s.ns, "addr", "add", s.ip+"/24", "dev", s.ifc)
		l.ip(t, "-n", s.ns, "link", "set", "lo", "up")
	}
	l.ip(t, "-n", l.school, "link", "set", l.schoolIf, "up")
	l.ip(t, "-n", l.school, "route", "add", "224.0.0.0/4", "dev", l.schoolIf)
	return l
}

// serverUp brings the server's interface up, with its multicast route.
func (l *lan) serverUp(t *testing.T) {
	t.Helper()
	l.ip(t, "-n", l.server, "link", "set", l.serverIf, "up")
	l.ip(t, "-n", l.server, "route", "add", "224.0.0.0/4", "dev", l.serverIf)
}

func (l *lan) ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// exec runs a command inside namespace ns.
func (l *lan) exec(ns string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
}

// lanNode is a baoxue process in the server namespace.
type lanNode struct {
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan error
}

// startNode starts a bootstrapped node advertising on the server's veth,
// with the host name township-server (in a UTS namespace of its own).
func (l *lan) startNode(t *testing.T, bin string) *lanNode {
	args := []string{"serve", "--data", t.TempDir(), "--node-id", "bureau", "--http", "0.0.0.0:8080",
		"--cluster-addr", l.serverIP + ":7400", "--bootstrap", "--admin-password", lanAdminPassword,
		"--mdns-iface", l.serverIf, "--log-level", "info", "--http-plain"}
	// LAN timeouts, so that the lone node leads at once.
	args = append(args, "--raft-heartbeat-timeout", "200ms", "--raft-election-timeout", "200ms", "--raft-lease-timeout", "200ms")
	n := &lanNode{log: &syncBuffer{}, done: make(chan error, 1)}
	n.cmd = l.exec(l.server, append([]string{"unshare", "--uts", "sh", "-c", `hostname "$0" && exec "$@"`, "township-server", bin}, args...)...)
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { n.done <- n.cmd.Wait() }()
	t.Cleanup(func() {
		n.cmd.Process.Kill()
		<-n.done
		if t.Failed() {
			t.Logf("node log:\n%s", n.log.String())
		}
		n.done <- nil
	})
	return n
}

// stop sends SIGTERM and waits for the node to exit.
func (n *lanNode) stop(t *testing.T) {
	t.Helper()
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-n.done:
		n.done <- err
		if err != nil {
			t.Errorf("node exited: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("node did not stop within 20s of SIGTERM")
	}
}

func (n *lanNode) waitLog(t *testing.T, timeout time.Duration, s string) {
	t.Helper()
	waitFor(t, timeout, fmt.Sprintf("%q in the node's log", s), func() error {
		if !strings.Contains(n.log.String(), s) {
			return errors.New("not yet")
		}
		return nil
	})
}

// logValue reads key="value" from the first log line holding msg.
func (n *lanNode) logValue(t *testing.T, msg, key string) string {
	t.Helper()
	for line := range strings.Lines(n.log.String()) {
		if !strings.Contains(line, msg) {
			continue
		}
		_, rest, ok := strings.Cut(line, " "+key+"=\"")
		if v, _, ok2 := strings.Cut(rest, "\""); ok && ok2 {
			return v
		}
	}
	t.Fatalf("no %s in the log line %q:\n%s", key, msg, n.log.String())
	return ""
}

// discover runs `baoxue discover --json` in the school namespace.
func (l *lan) discover(t *testing.T, bin string) []Peer {
	t.Helper()
	var stderr bytes.Buffer
	cmd := l.exec(l.school, bin, "discover", "--json", "--timeout", "2s")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("discover: %v\n%s", err, stderr.String())
	}
	var peers []Peer
	if err := json.Unmarshal(out, &peers); err != nil {
		t.Fatalf("discover --json printed %q: %v", out, err)
	}
	return peers
}

func (l *lan) discoverOne(t *testing.T, bin, id string) (Peer, error) {
	peers := l.discover(t, bin)
	for _, p := range peers {
		if p.NodeID == id {
			return p, nil
		}
	}
	return Peer{}, fmt.Errorf("node %s not among %+v", id, peers)
}

// inNetns runs f on a thread inside namespace ns: sockets f opens stay there.
func inNetns(ns string, f func() error) error {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	target, err := os.Open("/run/netns/" + ns)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	ferr := f()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		return err // the thread stays locked and dies with this goroutine
	}
	runtime.UnlockOSThread()
	return ferr
}

// listener is a socket on port 5353 in the school namespace that collects
// every mDNS message it receives.
type listener struct {
	conn *ipv4.PacketConn
	mu   sync.Mutex
	msgs []answer
	got  chan struct{}
}

type answer struct {
	msg  *dns.Msg
	from *net.UDPAddr
	ttl  int
}

const legacyQueryID = 4711

// socket opens a UDP socket in the school namespace: on port 5353 joined to
// the mDNS group when port is 5353, else on an ephemeral port.
func (l *lan) socket(t *testing.T, port int) *listener {
	t.Helper()
	var c *net.UDPConn
	err := inNetns(l.school, func() error {
		var err error
		if port == mdnsPort {
			c, err = net.ListenUDP("udp4", &net.UDPAddr{IP: mdnsGroupV4, Port: mdnsPort})
		} else {
			c, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP(l.schoolIP)})
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	p := ipv4.NewPacketConn(c)
	if port == mdnsPort {
		ifc, err := l.schoolInterface()
		if err != nil {
			t.Fatal(err)
		}
		if err := p.JoinGroup(ifc, &net.UDPAddr{IP: mdnsGroupV4}); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.SetControlMessage(ipv4.FlagTTL, true); err != nil {
		t.Fatal(err)
	}
	lis := &listener{conn: p, got: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 9000)
		for {
			n, cm, from, err := p.ReadFrom(buf)
			if err != nil {
				return
			}
			m := new(dns.Msg)
			if m.Unpack(buf[:n]) != nil || !m.Response {
				continue
			}
			a := answer{msg: m, from: from.(*net.UDPAddr), ttl: -1}
			if cm != nil {
				a.ttl = cm.TTL
			}
			lis.mu.Lock()
			lis.msgs = append(lis.msgs, a)
			lis.mu.Unlock()
			select {
			case lis.got <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { p.Close(); <-done })
	return lis
}

// schoolInterface is the school's veth, looked up inside its namespace.
func (l *lan) schoolInterface() (*net.Interface, error) {
	var ifc *net.Interface
	err := inNetns(l.school, func() error {
		var err error
		ifc, err = net.InterfaceByName(l.schoolIf)
		return err
	})
	return ifc, err
}

func (l *lan) listen(t *testing.T) *listener { return l.socket(t, mdnsPort) }

// wait reports whether a message from the server matching ok arrives within d.
func (lis *listener) wait(d time.Duration, ok func(*dns.Msg) bool) bool {
	deadline := time.After(d)
	seen := 0
	for {
		lis.mu.Lock()
		msgs := slices.Clone(lis.msgs[seen:])
		seen = len(lis.msgs)
		lis.mu.Unlock()
		for _, a := range msgs {
			if ok(a.msg) {
				return true
			}
		}
		select {
		case <-lis.got:
		case <-deadline:
			return false
		}
	}
}

// query sends one query for name from the school (from port 5353 joined to
// the group, or from an ephemeral port: a legacy query) and returns the
// answers that come from the server within 2 s.
func (l *lan) query(t *testing.T, port int, name string, qtype uint16, keep func(*dns.Msg, int) bool) []answer {
	t.Helper()
	lis := l.socket(t, port)
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.RecursionDesired = false
	if port != mdnsPort {
		q.Id = legacyQueryID
	} else {
		q.Id = 0
	}
	buf, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	ifc, err := l.schoolInterface()
	if err != nil {
		t.Fatal(err)
	}
	if err := lis.conn.SetMulticastInterface(ifc); err != nil {
		t.Fatal(err)
	}
	if _, err := lis.conn.WriteTo(buf, nil, &net.UDPAddr{IP: mdnsGroupV4, Port: mdnsPort}); err != nil {
		t.Fatal(err)
	}
	lis.wait(2*time.Second, func(*dns.Msg) bool { return false })
	lis.mu.Lock()
	defer lis.mu.Unlock()
	var out []answer
	for _, a := range lis.msgs {
		if a.from.IP.Equal(net.ParseIP(l.serverIP)) && keep(a.msg, a.ttl) {
			out = append(out, a)
		}
	}
	return out
}

// avahi is an avahi-daemon running in the school namespace.
type avahi struct {
	l      *lan
	browse string
}

// startAvahi starts avahi-daemon in the school namespace, in the
// foreground so that what it says on failure reaches the test, on a system
// D-Bus (see systemBus). It returns nil, having said why, where avahi is not
// installed (outside CI) or already runs on this machine.
func (l *lan) startAvahi(t *testing.T) *avahi {
	t.Helper()
	daemon, browse := lookTool("avahi-daemon"), lookTool("avahi-browse")
	if daemon == "" || browse == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("avahi-daemon and avahi-browse are needed (apt-get install avahi-daemon avahi-utils dbus)")
		}
		t.Log("avahi tests skipped: avahi-daemon or avahi-browse is not installed (apt-get install avahi-daemon avahi-utils dbus)")
		return nil
	}
	if exec.Command(daemon, "--check").Run() == nil && !removeStaleAvahiPID() {
		skipOrFail(t, "an avahi-daemon already runs on this machine; the test needs its own in the school namespace")
	}
	systemBus(t)
	log := &syncBuffer{}
	exited := background(t, l.exec(l.school, daemon, "--no-chroot", "--no-drop-root", "--no-rlimits"), log)
	waitFor(t, 10*time.Second, "avahi-daemon to start", func() error {
		if strings.Contains(log.String(), "startup complete") {
			return nil
		}
		select {
		case <-exited:
			return errStop{fmt.Errorf("avahi-daemon exited:\n%s", log)}
		default:
			return fmt.Errorf("avahi-daemon says:\n%s", log)
		}
	})
	return &avahi{l: l, browse: browse}
}

// removeStaleAvahiPID removes avahi's pid file when the process it names is
// not avahi-daemon (a run that was killed, its pid since reused), which
// avahi-daemon --check takes for a running daemon. It reports whether it did.
func removeStaleAvahiPID() bool {
	const pidFile = "/run/avahi-daemon/pid"
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		return false
	}
	comm, _ := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/comm")
	if strings.TrimSpace(string(comm)) == "avahi-daemon" {
		return false
	}
	return os.Remove(pidFile) == nil
}

// systemBus makes sure a system D-Bus answers on its socket, as avahi-daemon
// needs. A socket file left by a bus that has died (an earlier run that was
// killed) is removed first: its presence says nothing. A bus this starts is
// stopped, and its socket removed, when the test ends.
func systemBus(t *testing.T) {
	t.Helper()
	const dir, socket = "/run/dbus", "/run/dbus/system_bus_socket"
	if c, err := net.Dial("unix", socket); err == nil {
		c.Close()
		return
	}
	os.Remove(socket)
	os.Remove(dir + "/pid")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	exited := background(t, exec.Command("dbus-daemon", "--system", "--nofork", "--nopidfile"), log)
	t.Cleanup(func() { os.Remove(socket) })
	waitFor(t, 5*time.Second, "the system bus", func() error {
		select {
		case <-exited:
			return errStop{fmt.Errorf("dbus-daemon exited:\n%s", log)}
		default:
		}
		c, err := net.Dial("unix", socket)
		if err != nil {
			return err
		}
		return c.Close()
	})
}

// background starts cmd with its output in log, and stops it when the test
// ends. The channel it returns is closed once cmd has exited.
func background(t *testing.T, cmd *exec.Cmd, log *syncBuffer) <-chan struct{} {
	t.Helper()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", cmd.Path, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return done
}

// resolved returns avahi-browse's resolved line for instance on IPv4.
func (a *avahi) resolved(t *testing.T, instance string) ([]string, error) {
	out, err := a.l.exec(a.l.school, a.browse, "-t", "-r", "-p", "_baoxue._tcp").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("avahi-browse: %v: %s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimRight(line, "\n"), ";")
		if len(f) >= 10 && f[0] == "=" && f[2] == "IPv4" && unescapeAvahi(f[3]) == instance {
			return f, nil
		}
	}
	return nil, fmt.Errorf("avahi-browse did not resolve %q:\n%s", instance, out)
}

// unescapeAvahi undoes avahi-browse -p's \DDD escapes (decimal bytes).
func unescapeAvahi(s string) string { return unescapeDNS(s) }

func lookTool(name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		return ""
	}
	return p
}

// needTool returns the path of a tool the test needs; without it the test
// is skipped, or fails in CI (where .ci/run installs it).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p := lookTool(name)
	if p == "" {
		skipOrFail(t, name+" is not installed (.ci/run installs it)")
	}
	return p
}

func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLegacyAnswer(t *testing.T) {
	adv := Advertisement{Instance: "拉堡镇 baoxue", Host: "township-server.local", Port: 8080,
		Text:       []string{"id=lapu", "role=township"},
		Interfaces: []AdvertisedInterface{{Name: "eth0", Index: 2, IPs: []net.IP{net.ParseIP("10.0.0.5").To4()}}}}
	r := &legacyResponder{adv: adv,
		service:  canonicalName(mdnsService + "." + mdnsDomain),
		instance: canonicalName(adv.Instance + "." + mdnsService + "." + mdnsDomain),
		host:     canonicalName(adv.Host + "."),
		enum:     canonicalName("_services._dns-sd._udp." + mdnsDomain)}
	// Names as a querier writes them: dig escapes the instance's bytes.
	escaped := `\230\139\137\229\160\161\233\149\135\032baoxue._baoxue._tcp.local.`
	tests := []struct {
		name  string
		qtype uint16
		want  []string // record types answered, in order; nil: no answer
	}{
		{"_baoxue._tcp.local.", dns.TypePTR, []string{"PTR"}},
		{"_BAOXUE._tcp.local.", dns.TypePTR, []string{"PTR"}},
		{"_services._dns-sd._udp.local.", dns.TypePTR, []string{"PTR"}},
		{escaped, dns.TypeSRV, []string{"SRV"}},
		{escaped, dns.TypeTXT, []string{"TXT"}},
		{escaped, dns.TypeANY, []string{"SRV", "TXT"}},
		{"township-server.local.", dns.TypeA, []string{"A"}},
		{"township-server.local.", dns.TypeAAAA, nil},
		{"_http._tcp.local.", dns.TypePTR, nil},
		{"other.local.", dns.TypeA, nil},
	}
	for _, tt := range tests {
		q := new(dns.Msg)
		q.SetQuestion(tt.name, tt.qtype)
		q.Id = 99
		resp := r.answer(q, 2)
		var got []string
		if resp != nil {
			for _, rr := range resp.Answer {
				got = append(got, dns.TypeToString[rr.Header().Rrtype])
				if rr.Header().Ttl > legacyTTL || rr.Header().Class != dns.ClassINET {
					t.Errorf("%s %s: record %v has TTL over %d or a cache-flush bit", tt.name, dns.TypeToString[tt.qtype], rr, legacyTTL)
				}
			}
			if resp.Id != 99 || len(resp.Question) != 1 || resp.Question[0] != q.Question[0] {
				t.Errorf("%s: reply id %d question %v, want the query's echoed", tt.name, resp.Id, resp.Question)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %s: answered %v, want %v", tt.name, dns.TypeToString[tt.qtype], got, tt.want)
		}
	}
}

func TestInstanceName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"拉堡镇 baoxue", "拉堡镇 baoxue"},
		{"a.b baoxue", "a·b baoxue"},
		{strings.Repeat("镇", 30), strings.Repeat("镇", 21)}, // 63 bytes, whole characters
	}
	for _, tt := range tests {
		if got := instanceName(tt.in); got != tt.want {
			t.Errorf("instanceName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnescapeDNS(t *testing.T) {
	tests := []struct{ in, want string }{
		{`\230\139\137\229\160\161\233\149\135\032baoxue`, "拉堡镇 baoxue"},
		{`a\ b\.c\\d`, `a b.c\d`},
		{"plain", "plain"},
		{`trailing\`, `trailing\`},
	}
	for _, tt := range tests {
		if got := unescapeDNS(tt.in); got != tt.want {
			t.Errorf("unescapeDNS(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDialable(t *testing.T) {
	ips := []string{"10.0.0.5"}
	tests := []struct{ in, want string }{
		{"10.0.0.9:7400", "10.0.0.9:7400"},
		{"0.0.0.0:7400", "10.0.0.5:7400"},
		{":7400", "10.0.0.5:7400"},
		{"127.0.0.1:7400", ""},
		{"nonsense", ""},
	}
	for _, tt := range tests {
		if got := dialable(tt.in, ips); got != tt.want {
			t.Errorf("dialable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMDNSIdentity(t *testing.T) {
	n := mustStart(t, testConfig(t, t.TempDir(), true))
	orgTree(login(t, n, "admin", adminPassword))
	n.cfg.Township = "450206100" // as --township gives it; the township must exist first
	instance, text := n.mdnsIdentity()
	if instance != "拉堡镇 baoxue" {
		t.Errorf("instance %q, want the township's name: 拉堡镇 baoxue", instance)
	}
	want := []string{"id=bureau", "role=township", "town=450206100", "cluster=" + n.rep.ClusterID(),
		"cluster_addr=" + n.cfg.ClusterAddr, "v=" + version(), "ca=1"}
	if n.rep.ClusterID() == "" || !slices.Equal(text, want) {
		t.Errorf("TXT %q, want %q", text, want)
	}
	for _, kv := range text {
		for _, r := range kv {
			if r > 127 {
				t.Errorf("TXT %q is not ASCII", kv)
			}
		}
	}

	n.cfg.Township = ""
	if instance, _ := n.mdnsIdentity(); instance != "柳江区教育局 baoxue bureau" {
		t.Errorf("bureau instance %q, want the district's name and role", instance)
	}
}

func TestLANInfo(t *testing.T) {
	n := &Node{}
	if got := (lanInfo{n}).LAN(); got.Advertising {
		t.Errorf("without mDNS: %+v, want not advertising", got)
	}
	n.mdns.Store(&advertiser{cur: Advertisement{Instance: "拉堡镇 baoxue", Host: "township-server.local", Port: 8080,
		Interfaces: []AdvertisedInterface{{Name: "eth0", Index: 2, IPs: []net.IP{net.ParseIP("10.0.0.5"), net.ParseIP("fd00::5")}}}}})
	got := (lanInfo{n}).LAN()
	want := "{true 拉堡镇 baoxue township-server.local 8080 [{eth0 [10.0.0.5 fd00::5]}]}"
	if fmt.Sprint(got) != want {
		t.Errorf("LAN() = %v, want %s", got, want)
	}
}

//go:build linux

package node

// Helpers of the LAN tests (lan_test.go): namespaces, the node process,
// raw mDNS sockets in the school namespace, avahi.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
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

	"baoxue/node/mdns"
)

// What RFC 6762 fixes, written out here rather than taken from node/mdns, so
// that the tests hold what goes over the wire to the standard.
const (
	mdnsPort  = 5353
	legacyTTL = 10 // §6.7: record TTLs of at most 10 s in legacy unicast answers
)

var mdnsGroupV4 = net.IPv4(224, 0, 0, 251)

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
func (l *lan) discover(t *testing.T, bin string) []mdns.Peer {
	t.Helper()
	var stderr bytes.Buffer
	cmd := l.exec(l.school, bin, "discover", "--json", "--timeout", "2s")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("discover: %v\n%s", err, stderr.String())
	}
	var peers []mdns.Peer
	if err := json.Unmarshal(out, &peers); err != nil {
		t.Fatalf("discover --json printed %q: %v", out, err)
	}
	return peers
}

func (l *lan) discoverOne(t *testing.T, bin, id string) (mdns.Peer, error) {
	peers := l.discover(t, bin)
	for _, p := range peers {
		if p.NodeID == id {
			return p, nil
		}
	}
	return mdns.Peer{}, fmt.Errorf("node %s not among %+v", id, peers)
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
func unescapeAvahi(s string) string { return mdns.Unescape(s) }

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

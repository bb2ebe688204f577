//go:build linux

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
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"baoxue/node/mdns"
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
	n.waitLog(t, 3*mdns.DefaultPoll, advertising)
	instance := n.logValue(t, advertising, "instance")

	t.Run("discover", func(t *testing.T) {
		var p mdns.Peer
		waitFor(t, 10*time.Second, "discover to find the node", func() error {
			var err error
			p, err = l.discoverOne(t, bin, "bureau")
			return err
		})
		want := mdns.Peer{Name: instance, NodeID: "bureau", Role: "bureau", Cluster: p.Cluster,
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
		if ptr == nil || mdns.Unescape(ptr.Ptr) != instance+"._baoxue._tcp.local." {
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

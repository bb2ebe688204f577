package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"baoxue/store"
	"baoxue/store/synth"
)

const adminPassword = "test-admin-pw"

// testConfig is a node on 127.0.0.1 with LAN-speed Raft timeouts.
func testConfig(t testing.TB, dir string, bootstrap bool) Config {
	cfg := DefaultConfig()
	cfg.DataDir = dir
	cfg.MDNS.Enabled = false // no multicast may leave this machine
	cfg.PlainHTTP = true     // HTTPS has its own tests (web_test.go)
	if bootstrap {
		cfg.NodeID, cfg.HTTPAddr, cfg.ClusterAddr = "bureau", "127.0.0.1:0", "127.0.0.1:0"
		cfg.Bootstrap, cfg.AdminPassword = true, adminPassword
		cfg.DistrictCode, cfg.DistrictName = synth.DefaultDistrictCode, synth.DefaultDistrictName
	}
	cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s := &cfg.Sync
	// LAN-speed, but not so short that a leader steps down when the test
	// machine is loaded (2 cores shared by every package's tests: 100 ms
	// lost leaders in TestClusterMembership and TestClusterJoin).
	s.HeartbeatTimeout, s.ElectionTimeout, s.LeaderLeaseTimeout = 500*time.Millisecond, 500*time.Millisecond, 500*time.Millisecond
	s.CommitTimeout, s.ApplyTimeout = 5*time.Millisecond, 5*time.Second
	return cfg
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func mustStart(t testing.TB, cfg Config) *Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	if err := n.rep.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	return n
}

// client talks to a node's JSON API as one user.
type client struct {
	t     testing.TB
	base  string
	token string
	hc    *http.Client // nil: http.DefaultClient
}

func login(t testing.TB, n *Node, user, pw string) *client {
	t.Helper()
	return loginWith(t, n, user, pw, nil)
}

// loginWith logs in through hc (an HTTPS client trusting the district CA).
func loginWith(t testing.TB, n *Node, user, pw string, hc *http.Client) *client {
	t.Helper()
	c := &client{t: t, base: n.URL(), hc: hc}
	var out struct{ Token string }
	if code := c.do("POST", "/api/v1/login", map[string]string{"username": user, "password": pw}, &out); code != 200 {
		t.Fatalf("login %s: HTTP %d", user, code)
	}
	c.token = out.Token
	return c
}

// do sends body as JSON and decodes the answer into out; it returns the
// status code.
func (c *client) do(method, path string, body, out any) int {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, c.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	hc := c.hc
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: HTTP %d, body %q: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

func (c *client) must(method, path string, body any, want int, out any) {
	c.t.Helper()
	var raw json.RawMessage
	got := c.do(method, path, body, &raw)
	if got != want {
		c.t.Fatalf("%s %s: HTTP %d, want %d: %s", method, path, got, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatal(err)
		}
	}
}

// idNumber makes a valid ID number born on birth (YYYYMMDD) with sequence seq.
func idNumber(t testing.TB, birth string, seq int) string {
	first := "450206" + birth + fmt.Sprintf("%03d", seq)
	c, err := store.IDCheckDigit(first)
	if err != nil {
		t.Fatal(err)
	}
	return first + string(c)
}

// orgTree creates a township, a village and a primary school through the API.
func orgTree(c *client) {
	c.must("POST", "/api/v1/townships", map[string]string{"code": "450206100", "name": "拉堡镇"}, 201, nil)
	c.must("POST", "/api/v1/townships", map[string]string{"code": "450206101", "name": "进德镇"}, 201, nil)
	c.must("POST", "/api/v1/villages", map[string]string{"code": "450206100001", "name": "龙山村", "township_code": "450206100"}, 201, nil)
	c.must("POST", "/api/v1/villages", map[string]string{"code": "450206101001", "name": "江口村", "township_code": "450206101"}, 201, nil)
	c.must("POST", "/api/v1/schools", map[string]string{"code": "S100", "name": "拉堡镇中心小学", "type": "primary", "township_code": "450206100"}, 201, nil)
	c.must("POST", "/api/v1/schools", map[string]string{"code": "S101", "name": "进德镇初级中学", "type": "junior", "township_code": "450206101"}, 201, nil)
}

func newChild(t testing.TB, seq int, school string, grade int) map[string]any {
	gender := "F"
	if seq%2 == 1 {
		gender = "M"
	}
	village := "450206100001"
	if school == "S101" {
		village = "450206101001"
	}
	// Born for the grade: 2016 in grade 3 (the register refuses an age the
	// grade cannot have).
	return map[string]any{"name": fmt.Sprintf("覃小%d", seq), "gender": gender, "id_number": idNumber(t, fmt.Sprintf("%d0901", 2019-grade), seq),
		"ethnicity": "壮族", "village_code": village, "school_code": school, "grade": grade, "class": 1,
		"guardians": []map[string]string{{"name": "覃大", "relation": "父亲", "phone": "13900000000"}}}
}

package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"baoxue/store"
)

// fakeCluster records what the cluster routes ask for.
type fakeCluster struct {
	mu      sync.Mutex
	nodes   []ClusterNode
	tokens  []time.Duration // ttl of each token asked for
	voters  []bool
	actions []string // "id action"
	reject  string   // a reason to reject member changes with
	to      []string
	err     error
	ca      time.Time // CAExpiry
}

func (f *fakeCluster) CAExpiry() time.Time { return f.ca }

func (f *fakeCluster) Nodes(context.Context) ([]ClusterNode, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.nodes, f.err
}

func (f *fakeCluster) CreateToken(_ context.Context, a store.Actor, voter bool, ttl time.Duration) (string, store.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return "", store.Result{}, f.err
	}
	f.tokens, f.voters = append(f.tokens, ttl), append(f.voters, voter)
	return fmt.Sprintf("token-%d-%s", len(f.tokens), a.User), store.Result{CommandID: "c", State: store.StateApplied}, nil
}

func (f *fakeCluster) Member(_ context.Context, _ store.Actor, id, action string) (store.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return store.Result{}, f.err
	}
	f.actions = append(f.actions, id+" "+action)
	if f.reject != "" {
		return store.Result{CommandID: "c", State: store.StateRejected, Code: store.CodeState, Field: "action", Reason: f.reject}, nil
	}
	return store.Result{CommandID: "c", State: store.StateApplied}, nil
}

func (f *fakeCluster) TransferLeadership(_ context.Context, to string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if to == "nosuch" {
		return fmt.Errorf("%w: not a voter", store.ErrNotFound)
	}
	f.to = append(f.to, to)
	return f.err
}

func newClusterEnv(t *testing.T) (*env, *fakeCluster) {
	e := newEnv(t)
	f := &fakeCluster{nodes: []ClusterNode{
		{ID: "bureau", Address: "10.0.0.5:7400", Voter: true, WantVoter: true, Member: true, Leader: true, Self: true, CA: true,
			Reachable: true, LastContact: time.Now(), AppliedIndex: 42},
		{ID: "lapu", Address: "10.0.3.7:7400", Township: townA, Member: true, LastContact: time.Now().Add(-time.Hour), AppliedIndex: 40},
	}}
	e.srv.cfg.Cluster = f
	return e, f
}

func TestClusterAPI(t *testing.T) {
	e, f := newClusterEnv(t)
	admin := e.setupOrg()
	officer := e.login("officer", "password-1")

	var list struct{ Items []ClusterNode }
	e.api("GET", "/api/v1/cluster/nodes", admin, nil).want(t, 200, "list nodes").json(t, &list)
	if len(list.Items) != 2 || list.Items[1].Township != townA || list.Items[1].Reachable {
		t.Errorf("nodes = %+v", list.Items)
	}

	var tok struct{ Token string }
	e.api("POST", "/api/v1/cluster/tokens", admin, map[string]any{"voter": true, "ttl": "7d"}).want(t, 201, "token").json(t, &tok)
	if tok.Token != "token-1-admin" || f.tokens[0] != 7*24*time.Hour || !f.voters[0] {
		t.Errorf("token %q, asked ttl %v voter %v", tok.Token, f.tokens, f.voters)
	}
	e.api("POST", "/api/v1/cluster/tokens", admin, map[string]any{"voter": false}).want(t, 201, "token with default ttl")
	if f.tokens[1] != 24*time.Hour {
		t.Errorf("default ttl = %v, want 24h", f.tokens[1])
	}
	for _, ttl := range []string{"30s", "31d", "soon", "-1h"} {
		r := e.api("POST", "/api/v1/cluster/tokens", admin, map[string]any{"ttl": ttl}).want(t, 400, "ttl "+ttl)
		if r.obj(t)["field"] != "ttl" {
			t.Errorf("ttl %s: %s", ttl, r.body)
		}
	}

	e.api("POST", "/api/v1/cluster/nodes/lapu/promote", admin, nil).want(t, 200, "promote")
	e.api("POST", "/api/v1/cluster/nodes/lapu/demote", admin, nil).want(t, 200, "demote")
	e.api("DELETE", "/api/v1/cluster/nodes/lapu", admin, nil).want(t, 200, "remove")
	e.api("POST", "/api/v1/cluster/nodes/lapu/explode", admin, nil).want(t, 404, "unknown action")
	if got := strings.Join(f.actions, ","); got != "lapu promote,lapu demote,lapu remove" {
		t.Errorf("actions = %s", got)
	}
	f.reject = "node bureau is the last voter"
	r := e.api("POST", "/api/v1/cluster/nodes/bureau/demote", admin, nil).want(t, 409, "rejected demote")
	if o := r.obj(t); o["error"] != f.reject || o["code"] != store.CodeState {
		t.Errorf("rejected demote: %s", r.body)
	}

	e.api("POST", "/api/v1/cluster/leadership", admin, nil).want(t, 204, "transfer to any")
	e.api("POST", "/api/v1/cluster/leadership", admin, map[string]string{"to": "lapu"}).want(t, 204, "transfer to lapu")
	e.api("POST", "/api/v1/cluster/leadership", admin, map[string]string{"to": "nosuch"}).want(t, 404, "transfer to nobody")
	if got := strings.Join(f.to, ","); got != ",lapu" {
		t.Errorf("transfers = %q", got)
	}

	f.err = fmt.Errorf("%w: no leader", ErrUnavailable)
	e.api("POST", "/api/v1/cluster/tokens", admin, map[string]any{"ttl": "1h"}).want(t, 503, "no leader")

	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v1/cluster/nodes"}, {"POST", "/api/v1/cluster/tokens"}, {"POST", "/api/v1/cluster/nodes/lapu/promote"},
		{"DELETE", "/api/v1/cluster/nodes/lapu"}, {"POST", "/api/v1/cluster/leadership"},
	} {
		e.api(c.method, c.path, officer, map[string]any{}).want(t, 403, "officer "+c.method+" "+c.path)
	}
}

func TestClusterPage(t *testing.T) {
	e, f := newClusterEnv(t)
	e.setupOrg()
	b := e.browser()
	b.login("admin", adminPassword)
	page := b.get("/cluster").want(t, http.StatusOK, "cluster page")
	doc := parseHTML(t, page)
	if rows := findAll(find(doc, byID("cluster-nodes")), func(n *html.Node) bool { return n.Data == "tr" }); len(rows) != 3 {
		t.Errorf("node table has %d rows, want header + 2", len(rows))
	}
	lapu := text(find(doc, byID("node-lapu")))
	for _, want := range []string{"lapu", "拉堡镇", "非投票节点", "无法连接"} {
		if !strings.Contains(lapu, want) {
			t.Errorf("lapu's row %q lacks %q", lapu, want)
		}
	}
	if bureau := text(find(doc, byID("node-bureau"))); !strings.Contains(bureau, "主节点") || !strings.Contains(bureau, "42") {
		t.Errorf("bureau's row: %q", bureau)
	}
	// The CA's expiry is shown 30 days ahead, not before.
	for _, tc := range []struct {
		left time.Duration
		warn bool
	}{{0, false}, {40 * 24 * time.Hour, false}, {29 * 24 * time.Hour, true}, {-time.Hour, true}} {
		f.mu.Lock()
		f.ca = time.Time{}
		if tc.left != 0 {
			f.ca = time.Now().Add(tc.left)
		}
		f.mu.Unlock()
		doc := parseHTML(t, b.get("/cluster").want(t, http.StatusOK, "cluster page"))
		if w := find(doc, byID("ca-expiry")); (w != nil) != tc.warn || (w != nil && !strings.Contains(text(w), "轮换")) {
			t.Errorf("CA expiring in %v: warning shown %v, want %v", tc.left, w != nil, tc.warn)
		}
	}

	r := b.post("/cluster/tokens", url.Values{csrfField: {csrfFrom(t, page)}, "voter": {"on"}, "ttl": {"2h"}}).want(t, 201, "token form")
	if tok := find(parseHTML(t, r), byID("token-text")); tok == nil || text(tok) != "token-1-admin" || f.tokens[0] != 2*time.Hour || !f.voters[0] {
		t.Errorf("token shown: %v; asked %v %v", tok != nil, f.tokens, f.voters)
	}
	r = b.post("/cluster/tokens", url.Values{csrfField: {csrfFrom(t, page)}, "ttl": {"forever"}}).want(t, 400, "bad ttl")
	if doc := parseHTML(t, r); find(doc, func(n *html.Node) bool { return n.Data == "div" && strings.Contains(attr(n, "class"), "invalid") }) == nil {
		t.Errorf("bad ttl not marked beside the field:\n%s", r.body)
	}

	b.post("/cluster/nodes/lapu/promote", url.Values{csrfField: {csrfFrom(t, page)}}).want(t, http.StatusSeeOther, "promote form")
	f.reject = "node lapu is the last voter"
	r = b.post("/cluster/nodes/lapu/remove", url.Values{csrfField: {csrfFrom(t, page)}}).want(t, http.StatusConflict, "refused remove")
	if msg := text(find(parseHTML(t, r), byID("form-error"))); !strings.Contains(msg, f.reject) {
		t.Errorf("refusal shown as %q", msg)
	}
	b.post("/cluster/nodes/lapu/promote", url.Values{}).want(t, http.StatusForbidden, "form without CSRF token")

	en := b.get("/cluster?lang=en").want(t, http.StatusOK, "cluster page in English")
	if s := text(find(parseHTML(t, en), byID("node-lapu"))); !strings.Contains(s, "Non-voter") || !strings.Contains(s, "unreachable") {
		t.Errorf("English row: %q", s)
	}

	viewer := e.browser()
	viewer.login("viewer", "password-1")
	viewer.get("/cluster").want(t, http.StatusForbidden, "cluster page for a viewer")
}

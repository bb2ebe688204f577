package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"baoxue/store"
)

// testOutbox is every outbox role, with fixed contents.
type testOutbox struct {
	mu        sync.Mutex
	status    SyncStatus
	pending   map[string]string // command id → author
	records   map[string]bool
	cmds      []store.Command // waiting, oldest first: PendingFor and PendingRecords find them by store.TargetOf
	items     []AttentionItem
	readErr   error
	readCalls int
}

func (o *testOutbox) Sync() SyncStatus { return o.status }

func (o *testOutbox) PendingCommand(id string) (store.Command, bool, error) {
	a, ok := o.pending[id]
	return store.Command{ID: id, Actor: store.Actor{User: a}}, ok, nil
}

func (o *testOutbox) PendingFor(id string) ([]store.Command, error) {
	var out []store.Command
	for _, c := range o.cmds {
		if store.TargetOf(c) == id {
			out = append(out, c)
		}
	}
	return out, nil
}

func (o *testOutbox) PendingKind(kind string) ([]store.Command, error) {
	var out []store.Command
	for _, c := range o.cmds {
		if c.Kind == kind {
			out = append(out, c)
		}
	}
	return out, nil
}

func (o *testOutbox) Enqueue(store.Command) error { return nil }

func (o *testOutbox) PendingRecords() map[string]bool {
	if len(o.cmds) == 0 {
		return o.records
	}
	m := map[string]bool{}
	for k := range o.records {
		m[k] = true
	}
	for _, c := range o.cmds {
		m[store.TargetOf(c)] = true
	}
	return m
}

func (o *testOutbox) Attention(user string) ([]AttentionItem, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []AttentionItem
	for _, it := range o.items {
		if user == "" || it.Author == user {
			out = append(out, it)
		}
	}
	return out, nil
}

func (o *testOutbox) AttentionItem(id string) (AttentionItem, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, it := range o.items {
		if it.CommandID == id {
			return it, nil
		}
	}
	return AttentionItem{}, fmt.Errorf("attention %s: %w", id, store.ErrNotFound)
}

func (o *testOutbox) Dismiss(id string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	i := slices.IndexFunc(o.items, func(it AttentionItem) bool { return it.CommandID == id })
	if i < 0 {
		return store.ErrNotFound
	}
	o.items = slices.Delete(o.items, i, i+1)
	return nil
}

func (o *testOutbox) ConsistentRead(context.Context) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.readCalls++
	return o.readErr
}

func (o *testOutbox) calls() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.readCalls
}

// withOutbox gives e's server the outbox o in every role (before any
// request); nil: none.
func withOutbox(e *env, o *testOutbox) {
	c := &e.srv.cfg
	if o == nil {
		c.Sync, c.Pending, c.Queue, c.Attention, c.Reads = nil, nil, nil, nil, nil
		c.fillRoles(e.srv.rep)
		return
	}
	c.Sync, c.Pending, c.Queue, c.Attention, c.Reads = o, o, o, o, o
}

func TestAPISync(t *testing.T) {
	e := newEnv(t)
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	withOutbox(e, &testOutbox{status: SyncStatus{NodeID: "node-a", RaftState: "Follower", Voter: false, LeaderID: "bureau",
		LastContact: &at, AppliedIndex: 41, CommitIndex: 42, Outbox: OutboxCounts{Pending: 3, Rejected: 1, OldestPendingAt: &at}}})
	admin := e.login("admin", adminPassword)
	got := e.api("GET", "/api/v1/sync", admin, nil).want(t, http.StatusOK, "sync").obj(t)
	want := map[string]any{"node_id": "node-a", "raft_state": "Follower", "voter": false, "leader_id": "bureau",
		"last_contact": "2026-11-28T09:00:00Z", "applied_index": 41.0, "commit_index": 42.0,
		"outbox":           map[string]any{"pending": 3.0, "rejected": 1.0, "oldest_pending_at": "2026-11-28T09:00:00Z"},
		"upgrade_required": nil}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /api/v1/sync (-want +got):\n%s", diff)
	}
	e.api("GET", "/api/v1/sync", "", nil).want(t, http.StatusUnauthorized, "sync without login")

	// Without an outbox (single node), the same fields, nothing pending.
	withOutbox(e, nil)
	got = e.api("GET", "/api/v1/sync", admin, nil).want(t, http.StatusOK, "sync").obj(t)
	if ob := got["outbox"].(map[string]any); ob["pending"] != 0.0 || ob["oldest_pending_at"] != nil {
		t.Errorf("outbox without one = %v, want 0 pending and null", ob)
	}
}

func TestAPICommandPending(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	withOutbox(e, &testOutbox{pending: map[string]string{"c-1": "officer"}})
	officer := e.login("officer", "password-1")
	var got map[string]any
	e.api("GET", "/api/v1/commands/c-1", officer, nil).want(t, http.StatusOK, "own pending command").json(t, &got)
	if got["state"] != "pending" || got["id"] != "c-1" {
		t.Errorf("GET /api/v1/commands/c-1 = %v, want pending", got)
	}
	e.api("GET", "/api/v1/commands/c-1", e.login("teacher", "password-1"), nil).want(t, http.StatusNotFound, "another user's pending command")
	e.api("GET", "/api/v1/commands/c-1", e.login("admin", adminPassword), nil).want(t, http.StatusOK, "admin")
	e.api("GET", "/api/v1/commands/c-2", officer, nil).want(t, http.StatusNotFound, "unknown command")
}

func TestAttention(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	at := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	o := &testOutbox{items: []AttentionItem{
		{CommandID: "c-1", Kind: store.KindStudentCreate, Author: "officer", State: "rejected", Code: "duplicate",
			Reason: "id number already registered", TakenAt: at, RejectedAt: at, Payload: []byte(`{}`)},
		{CommandID: "c-2", Kind: store.KindStudentUpdate, Author: "teacher", State: "rejected", Code: "conflict",
			Reason: "changed meanwhile", RecordID: "7", TakenAt: at, RejectedAt: at, Payload: []byte(`{}`)},
	}}
	withOutbox(e, o)
	officer, teacher, admin := e.login("officer", "password-1"), e.login("teacher", "password-1"), e.login("admin", adminPassword)
	ids := func(token string) []string {
		var out struct{ Items []AttentionItem }
		e.api("GET", "/api/v1/attention", token, nil).want(t, http.StatusOK, "attention").json(t, &out)
		var ids []string
		for _, it := range out.Items {
			ids = append(ids, it.CommandID)
		}
		return ids
	}
	for _, tc := range []struct {
		who, token string
		want       []string
	}{{"officer", officer, []string{"c-1"}}, {"teacher", teacher, []string{"c-2"}}, {"admin", admin, []string{"c-1", "c-2"}}} {
		if got := ids(tc.token); !slices.Equal(got, tc.want) {
			t.Errorf("%s sees %v, want %v", tc.who, got, tc.want)
		}
	}
	e.api("POST", "/api/v1/attention/c-1/dismiss", teacher, nil).want(t, http.StatusNotFound, "dismiss another user's")
	e.api("POST", "/api/v1/attention/c-1/dismiss", officer, nil).want(t, http.StatusNoContent, "dismiss own")
	e.api("POST", "/api/v1/attention/c-1/dismiss", officer, nil).want(t, http.StatusNotFound, "dismiss twice")
	if got := ids(admin); !slices.Equal(got, []string{"c-2"}) {
		t.Errorf("after dismiss admin sees %v, want [c-2]", got)
	}

	// The page lists the user's items with a dismiss form; an admin may
	// dismiss anyone's.
	b := e.browser()
	b.login("admin", adminPassword)
	page := b.get("/attention").want(t, http.StatusOK, "attention page")
	doc := parseHTML(t, page)
	row := find(doc, byID("attention-c-2"))
	if row == nil || !strings.Contains(text(row), "该记录已被他人修改") {
		t.Fatalf("attention page has no row for c-2 with its reason")
	}
	b.post("/attention/c-2/dismiss", url.Values{"_csrf": {csrfFrom(t, page)}}).want(t, http.StatusSeeOther, "dismiss form")
	if find(parseHTML(t, b.get("/attention")), byID("no-attention")) == nil {
		t.Error("attention page not empty after dismissing the last item")
	}
}

func TestPendingMarksAndNodeBar(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	id := e.createChild(e.login("officer", "password-1"), child("覃小明", 1))
	withOutbox(e, &testOutbox{records: map[string]bool{id: true}})
	b := e.browser()
	b.login("officer", "password-1")
	list := parseHTML(t, b.get("/students").want(t, http.StatusOK, "list"))
	if find(list, byID("pending-"+id)) == nil {
		t.Error("the list does not mark the child with pending changes")
	}
	if n := find(list, byID("node-plain")); n == nil || !strings.Contains(text(n), "已连接区教育局") {
		t.Error("the node bar does not say whether the node is connected")
	}
	detail := parseHTML(t, b.get("/students/"+id).want(t, http.StatusOK, "detail"))
	if find(detail, byID("pending-mark")) == nil {
		t.Error("the detail page does not mark pending changes")
	}
	withOutbox(e, &testOutbox{})
	if find(parseHTML(t, b.get("/students/"+id)), byID("pending-mark")) != nil {
		t.Error("the detail page marks a child without pending changes")
	}
}

func TestStrongReads(t *testing.T) {
	e := newEnv(t)
	o := &testOutbox{}
	withOutbox(e, o)
	admin := e.login("admin", adminPassword)
	e.api("GET", "/api/v1/students", admin, nil).want(t, http.StatusOK, "local read")
	if n := o.calls(); n != 0 {
		t.Errorf("a local read asked the leader %d times", n)
	}
	e.api("GET", "/api/v1/students?consistency=strong", admin, nil).want(t, http.StatusOK, "strong read")
	if n := o.calls(); n != 1 {
		t.Errorf("a strong read asked the leader %d times, want 1", n)
	}
	o.mu.Lock()
	o.readErr = fmt.Errorf("no leader: %w", ErrUnavailable)
	o.mu.Unlock()
	r := e.api("GET", "/api/v1/students?consistency=strong", admin, nil).want(t, http.StatusServiceUnavailable, "strong read without leader")
	if body := r.obj(t); body["code"] != "stale" || !strings.Contains(body["error"].(string), "consistency=strong") {
		t.Errorf("503 body = %v, want code stale and a message naming consistency=strong", body)
	}
	e.api("GET", "/api/v1/students", admin, nil).want(t, http.StatusOK, "local read without leader")
}

// A node halted at a command of a newer release says so on every page, in
// either language, and in GET /api/v1/sync; reads go on.
func TestUpgradeBanner(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	b := e.browser()
	b.login("officer", "password-1")
	if find(parseHTML(t, b.get("/students").want(t, http.StatusOK, "list")), byID("upgrade-banner")) != nil {
		t.Error("a banner on a node that applies the whole log")
	}
	e.rep.mu.Lock()
	e.rep.upgrade = &UpgradeRequired{Index: 4711, Kind: "rollcall.take", Version: 1}
	e.rep.mu.Unlock()
	for _, path := range []string{"/students", "/cases", "/todo", "/connect", "/login", "/students?lang=en"} {
		n := find(parseHTML(t, b.get(path).want(t, http.StatusOK, path)), byID("upgrade-banner"))
		if n == nil {
			t.Errorf("%s: no upgrade banner", path)
			continue
		}
		want := "本节点需要升级"
		if strings.Contains(path, "lang=en") {
			want = "This node must be upgraded"
		}
		if got := text(n); !strings.Contains(got, want) || !strings.Contains(got, "4711") || !strings.Contains(got, "rollcall.take") {
			t.Errorf("%s: banner %q, want %q with the entry's index and kind", path, got, want)
		}
	}
	got := e.api("GET", "/api/v1/sync", e.login("admin", adminPassword), nil).want(t, http.StatusOK, "sync").obj(t)
	want := map[string]any{"index": 4711.0, "kind": "rollcall.take", "version": 1.0}
	if diff := cmp.Diff(want, got["upgrade_required"]); diff != "" {
		t.Errorf("upgrade_required (-want +got):\n%s", diff)
	}
}

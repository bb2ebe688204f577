package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/net/html"

	"baoxue/store"
)

// testTime is when the test replica says every command was appended.
var testTime = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

// testReplica applies commands straight to the store, one log index after
// another; replication itself is tested in node/.
type testReplica struct {
	mu          sync.Mutex
	db          *store.DB
	unavailable bool
	failWith    error // any other failure
	submitted   int
	upgrade     *UpgradeRequired // Info's Upgrade
}

func (r *testReplica) Submit(_ context.Context, cmd store.Command) (store.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unavailable {
		return store.Result{}, fmt.Errorf("no leader: %w", ErrUnavailable)
	}
	if r.failWith != nil {
		return store.Result{}, r.failWith
	}
	r.submitted++
	return r.db.Apply(store.Entry{Index: r.db.AppliedIndex() + 1, Time: testTime, Command: cmd})
}

func (r *testReplica) Info() NodeInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return NodeInfo{NodeID: "node-a", RaftState: "Leader", LeaderID: "node-a", AppliedIndex: r.db.AppliedIndex(),
		CommitIndex: r.db.AppliedIndex(), Upgrade: r.upgrade}
}

func (r *testReplica) setUnavailable(v bool) {
	r.mu.Lock()
	r.unavailable = v
	r.mu.Unlock()
}

// env is a node's UI with a real register and local file, served by an
// httptest server.
type env struct {
	t   testing.TB
	db  *store.DB
	rep *testReplica
	srv *Server
	ts  *httptest.Server
	log *bytes.Buffer // everything the server logged
	// local is the node's local file (sessions, imports).
	local *bolt.DB
}

const adminPassword = "admin-secret-1"

// newEnv starts a node with an initialised district (admin/adminPassword)
// and no org tree.
func newEnv(t testing.TB) *env {
	t.Helper()
	e := newEmptyEnv(t)
	e.initDistrict()
	return e
}

// initDistrict applies district.init: the district and its admin
// (adminPassword).
func (e *env) initDistrict() {
	e.t.Helper()
	hash, err := store.HashPassword(adminPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	cmd, err := store.NewCommand("init-1", store.Actor{User: "admin", Role: store.RoleAdmin, Node: "node-a"},
		store.DistrictInit{District: store.District{Code: "450206", Name: "柳江区"},
			Admin: store.User{Username: "admin", DisplayName: "管理员", Role: store.RoleAdmin, Line: store.LineEducation,
				Scope: store.DistrictScope, PasswordHash: hash}})
	if err != nil {
		e.t.Fatal(err)
	}
	if r, err := e.rep.Submit(context.Background(), cmd); err != nil || !r.Applied() {
		e.t.Fatalf("district.init: %+v, %v", r, err)
	}
}

// newEmptyEnv starts a node on a register with no district yet.
func newEmptyEnv(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "register.db"), nil)
	if err != nil {
		t.Fatalf("open register: %v", err)
	}
	local, err := bolt.Open(filepath.Join(dir, "local.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("open local: %v", err)
	}
	rep := &testReplica{db: db}
	logs := &bytes.Buffer{}
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&logMu, logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := New(Config{NodeID: "node-a", Logger: logger}, db, rep, local)
	if err != nil {
		t.Fatalf("ui.New: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
		checkBolt(t, local)
		if err := local.Close(); err != nil {
			t.Errorf("close local: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Errorf("close register: %v", err)
		}
		if t.Failed() {
			logMu.Lock()
			t.Logf("server log:\n%s", logs.String())
			logMu.Unlock()
		}
	})
	return &env{t: t, db: db, rep: rep, srv: srv, ts: ts, log: logs, local: local}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// checkBolt checks a bbolt file's integrity.
func checkBolt(t testing.TB, db *bolt.DB) {
	t.Helper()
	err := db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if err != nil {
		t.Errorf("local file integrity: %v", err)
	}
}

// response is an HTTP answer read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// obj decodes a JSON object body.
func (r response) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.json(t, &m)
	return m
}

// api sends a JSON API request; body may be a string (sent as is) or a
// value (encoded).
func (e *env) api(method, path, token string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(http.DefaultClient, req)
}

func (e *env) send(c *http.Client, req *http.Request) response {
	e.t.Helper()
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// want fails the test unless r has status.
func (r response) want(t testing.TB, status int, what string) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body: %s", what, r.status, status, r.body)
	}
	return r
}

// login returns an API token.
func (e *env) login(username, password string) string {
	e.t.Helper()
	r := e.api("POST", "/api/v1/login", "", map[string]string{"username": username, "password": password})
	r.want(e.t, http.StatusOK, "login "+username)
	var out struct{ Token string }
	r.json(e.t, &out)
	if out.Token == "" {
		e.t.Fatalf("login %s: no token in %s", username, r.body)
	}
	return out.Token
}

// Codes of the test org tree.
const (
	townA   = "450206100"
	townB   = "450206101"
	villA   = "450206100201"
	villB   = "450206101201"
	groupA1 = "450206100201-01"
	schoolA = "4502061001" // primary, in township A
	schoolB = "4502061002" // junior, in township B
)

// setupOrg builds a small org tree through the API as admin and adds
// users: officer (district), teacher (school A), viewer (district). All
// have password "password-1".
func (e *env) setupOrg() string {
	e.t.Helper()
	admin := e.login("admin", adminPassword)
	post := func(path string, body map[string]string) {
		e.t.Helper()
		e.api("POST", path, admin, body).want(e.t, http.StatusCreated, "POST "+path+" "+body["code"]+body["username"])
	}
	post("/api/v1/townships", map[string]string{"code": townA, "name": "拉堡镇"})
	post("/api/v1/townships", map[string]string{"code": townB, "name": "穿山镇"})
	post("/api/v1/villages", map[string]string{"code": villA, "name": "红卫村", "township_code": townA})
	post("/api/v1/villages", map[string]string{"code": villB, "name": "穿山社区", "township_code": townB, "kind": "community"})
	post("/api/v1/groups", map[string]string{"code": groupA1, "name": "第一村民小组", "village_code": villA})
	post("/api/v1/schools", map[string]string{"code": schoolA, "name": "拉堡镇中心小学", "type": "primary", "township_code": townA})
	post("/api/v1/schools", map[string]string{"code": schoolB, "name": "穿山镇中学", "type": "junior", "township_code": townB})
	for _, u := range []map[string]string{
		{"username": "officer", "display_name": "韦干事", "role": "officer", "line": "education", "scope": "district"},
		{"username": "teacher", "display_name": "覃老师", "role": "teacher", "line": "education", "scope": "school:" + schoolA},
		{"username": "viewer", "display_name": "只读", "role": "viewer", "line": "government", "scope": "district"},
	} {
		u["password"] = "password-1"
		post("/api/v1/users", u)
	}
	return admin
}

// idNumber makes a valid GB 11643 ID number: region 450206, birth date
// YYYYMMDD, sequence 0-999 (odd: male).
func idNumber(birth string, seq int) string {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	first := fmt.Sprintf("450206%s%03d", birth, seq)
	sum := 0
	for i, w := range weights {
		sum += int(first[i]-'0') * w
	}
	return first + string("10X98765432"[sum%11])
}

// wrongCheckDigit returns id with another check character.
func wrongCheckDigit(id string) string {
	last := id[17]
	for _, c := range "0123456789X" {
		if byte(c) != last {
			return id[:17] + string(c)
		}
	}
	panic("unreachable")
}

// child is a valid new child at school A (seq odd: a boy).
func child(name string, seq int) map[string]any {
	gender := "F"
	if seq%2 == 1 {
		gender = "M"
	}
	return map[string]any{
		"name": name, "gender": gender, "id_number": idNumber("20170315", seq), "ethnicity": "壮族",
		"village_code": villA, "group_code": groupA1, "school_code": schoolA, "grade": 3, "class": 2,
		"status": "enrolled", "flags": []string{"left_behind"},
		"details":   map[string]string{"parents_workplace": "广东东莞", "parents_phone": "13800000000"},
		"guardians": []map[string]string{{"name": "祖母", "relation": "祖母", "phone": "13900000000"}},
	}
}

// createChild registers a child through the API and returns its id.
func (e *env) createChild(token string, body map[string]any) string {
	e.t.Helper()
	r := e.api("POST", "/api/v1/students", token, body).want(e.t, http.StatusCreated, "create child")
	var out struct {
		Student store.Student
	}
	r.json(e.t, &out)
	return out.Student.ID
}

// total is the number of children token's user sees.
func (e *env) total(token string) int {
	e.t.Helper()
	var p store.Page
	e.api("GET", "/api/v1/students", token, nil).want(e.t, http.StatusOK, "list").json(e.t, &p)
	return p.Total
}

// ---- browser ----

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) get(path string) response {
	b.e.t.Helper()
	req, err := http.NewRequest("GET", b.e.ts.URL+path, nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return b.e.send(b.c, req)
}

func (b *browser) post(path string, form url.Values) response {
	b.e.t.Helper()
	req, err := http.NewRequest("POST", b.e.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.e.send(b.c, req)
}

// csrfFrom returns the CSRF token of the first form on a page.
func csrfFrom(t testing.TB, r response) string {
	t.Helper()
	doc := parseHTML(t, r)
	in := find(doc, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == csrfField })
	if in == nil {
		t.Fatalf("no CSRF field in page:\n%s", r.body)
	}
	return attr(in, "value")
}

// loginBrowser logs a browser in through the login form.
func (b *browser) login(username, password string) {
	b.e.t.Helper()
	page := b.get("/login").want(b.e.t, http.StatusOK, "login page")
	r := b.post("/login", url.Values{csrfField: {csrfFrom(b.e.t, page)}, "username": {username}, "password": {password}})
	r.want(b.e.t, http.StatusSeeOther, "login form")
}

// ---- HTML ----

func parseHTML(t testing.TB, r response) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("parse html: %v", err)
	}
	return doc
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// findAll returns the element nodes under n that match.
func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if l := findAll(n, match); len(l) > 0 {
		return l[0]
	}
	return nil
}

func byID(id string) func(*html.Node) bool {
	return func(n *html.Node) bool { return attr(n, "id") == id }
}

// text is the text content of n.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

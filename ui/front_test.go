package ui

import (
	"baoxue/store/cputime"
	"bufio"
	crand "crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestResponseHeaders pins the headers every answer carries (the security
// headers, the request ID, no caching of minors' records) and the access
// line each request leaves in the log: the front middleware sets them by
// hand (issue 12), and a browser or proxy relies on every one.
func TestResponseHeaders(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	security := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"Referrer-Policy":         "same-origin",
	}
	check := func(what string, r response, want map[string]string, wantKeys []string) {
		t.Helper()
		for k, v := range want {
			if got := r.header.Values(k); len(got) != 1 || got[0] != v {
				t.Errorf("%s: %s = %q, want [%q]", what, k, got, v)
			}
		}
		if id := r.header.Values("X-Request-Id"); len(id) != 1 || !regexp.MustCompile(`^[A-Za-z0-9]{32}$`).MatchString(id[0]) {
			t.Errorf("%s: X-Request-Id = %q, want one of 32 letters and digits", what, id)
		}
		var keys []string
		for k := range r.header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("%s: headers %q, want %q", what, keys, wantKeys)
		}
	}
	api := map[string]string{"Cache-Control": "no-store", "Content-Type": "application/json"}
	for k, v := range security {
		api[k] = v
	}
	apiKeys := []string{"Cache-Control", "Content-Length", "Content-Security-Policy", "Content-Type", "Date",
		"Referrer-Policy", "X-Content-Type-Options", "X-Frame-Options", "X-Request-Id"}
	before := e.log.Len()
	r := e.api("POST", "/api/v1/students", tok, child("头部", 1)).want(t, http.StatusCreated, "create")
	check("a new child", r, api, apiKeys)
	r = e.api("GET", "/api/v1/students?q=450206", "", nil).want(t, http.StatusUnauthorized, "no token")
	check("no token", r, security, []string{"Content-Length", "Content-Security-Policy", "Content-Type", "Date",
		"Referrer-Policy", "X-Content-Type-Options", "X-Frame-Options", "X-Request-Id"})
	r = e.api("GET", "/static/nothing-here.css", "", nil).want(t, http.StatusNotFound, "404")
	check("not found", r, security, []string{"Content-Length", "Content-Security-Policy", "Content-Type", "Date",
		"Referrer-Policy", "X-Content-Type-Options", "X-Frame-Options", "X-Request-Id"})
	page := e.browser().get("/login").want(t, http.StatusOK, "login page")
	check("login page", page, security, []string{"Cache-Control", "Content-Length", "Content-Security-Policy", "Content-Type", "Date",
		"Referrer-Policy", "Set-Cookie", "Vary", "X-Content-Type-Options", "X-Frame-Options", "X-Request-Id"})

	// A request's own X-Request-Id is answered and logged as it came.
	req, err := http.NewRequest("GET", e.ts.URL+"/api/v1/students?q=450206&consistency=local", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("X-Request-Id", "from-the-proxy-1")
	r = e.send(http.DefaultClient, req).want(t, http.StatusOK, "list")
	if got := r.header.Values("X-Request-Id"); len(got) != 1 || got[0] != "from-the-proxy-1" {
		t.Errorf("X-Request-Id = %q, want the request's", got)
	}

	// One access line a request, at INFO, with the path but never the query
	// (it may hold an ID number).
	logs := e.log.String()[before:]
	line := regexp.MustCompile(`(?m)^time=\S+ level=INFO msg=request component=ui method=GET path=/api/v1/students ` +
		`status=200 latency=\S+ request_id=from-the-proxy-1 remote_ip=127\.0\.0\.1$`)
	if !line.MatchString(logs) {
		t.Errorf("no access line for the list in the log:\n%s", logs)
	}
	if n := strings.Count(logs, "msg=request "); n != 5 { // create, 401, 404, login page, list
		t.Errorf("%d access lines, want 5:\n%s", n, logs)
	}
	if strings.Contains(logs, "450206") || strings.Contains(logs, "consistency") {
		t.Errorf("the query is logged:\n%s", logs)
	}
}

// BenchmarkAPIChain: CPU and allocations of the middleware around an API
// write (global chain, bearer session and user, no-store, strong reads'
// check) and of echo's and the error handler's plumbing, with a handler
// that only reads the body and answers as a new child's answer does
// (issue 12). The handler's own work is BenchmarkAPICreateStudent's.
func BenchmarkAPIChain(b *testing.B) {
	e := newEnv(b)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	answer := []byte(`{"id":"` + strings.Repeat("x", 680) + `"}`)
	e.srv.echo.POST("/api/v1/bench-chain", func(c echo.Context) error {
		if _, err := io.ReadAll(c.Request().Body); err != nil {
			return err
		}
		return c.JSONBlob(http.StatusCreated, answer)
	}, e.srv.requireBearer, noStore, e.srv.strongReads)
	h := e.srv.Handler()
	body := strings.Repeat("b", 700)
	b.ReportAllocs()
	runtime.GC()
	b.ResetTimer()
	cpu := cputime.Process()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("POST", "/api/v1/bench-chain", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("%d: %d %s", i, rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(cputime.Process()-cpu)/float64(b.N), "cpu-ns/op")
}

// TestRequestIDs: 32 letters, every letter about equally often, no two
// alike.
func TestRequestIDs(t *testing.T) {
	const n = 10000
	seen := make(map[string]bool, n)
	count := map[rune]int{}
	for range n {
		id := newRequestID()
		if !regexp.MustCompile(`^[A-Za-z]{32}$`).MatchString(id) || seen[id] {
			t.Fatalf("request ID %q (seen before: %v)", id, seen[id])
		}
		seen[id] = true
		for _, r := range id {
			count[r]++
		}
	}
	want := float64(n*32) / float64(len(ridCharset))
	for _, r := range ridCharset {
		if c := float64(count[r]); c < want*0.9 || c > want*1.1 {
			t.Errorf("%q drawn %v times, want about %.0f", r, c, want)
		}
	}
}

// BenchmarkRequestID: the request ID from math/rand/v2 against echo's way
// (crypto/rand through a pooled buffered reader, as ridEcho).
func BenchmarkRequestID(b *testing.B) {
	for _, way := range []struct {
		name string
		f    func() string
	}{{"echo", ridEcho}, {"randv2", newRequestID}} {
		b.Run(way.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = way.f()
			}
		})
	}
}

var ridReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(crand.Reader, 1024) }}

// ridEcho is echo's RequestID generator as it was used before front.
func ridEcho() string {
	rd := ridReaders.Get().(*bufio.Reader)
	defer ridReaders.Put(rd)
	const maxByte = byte(255 - 256%len(ridCharset))
	b := make([]byte, 32)
	r := make([]byte, 40)
	for i := 0; ; {
		if _, err := io.ReadFull(rd, r); err != nil {
			panic(err)
		}
		for _, x := range r {
			if x > maxByte {
				continue
			}
			b[i] = ridCharset[int(x)%len(ridCharset)]
			if i++; i == len(b) {
				return string(b)
			}
		}
	}
}

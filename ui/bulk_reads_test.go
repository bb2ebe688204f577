package ui

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"baoxue/store"
)

// Paging past a user's free rows and every export are bulk reads: each is
// recorded in the register (who, what, how many rows, never the name
// searched for), and over the limit the user gets 429 with when to retry,
// as JSON and as a page; the allowance comes back with time.
func TestBulkReadsAreLimitedAndRecorded(t *testing.T) {
	e := newEnv(t)
	now := testTime
	e.srv.now = func() time.Time { return now }
	e.srv.bulk = &bulkGuard{freeRows: 4, burst: 2, window: 10 * time.Minute, users: map[string]*bulkAllowance{}}
	admin := e.setupOrg()
	for i := 1; i <= 6; i++ {
		e.createChild(admin, child("韦"+strconv.Itoa(i), i))
	}
	viewer := e.login("viewer", "password-1")
	page := func(cursor string) store.Page {
		var p store.Page
		e.api("GET", "/api/v1/students?limit=2&q=韦&cursor="+cursor, viewer, nil).want(t, http.StatusOK, "page after "+cursor).json(t, &p)
		return p
	}
	p := page("")          // rows 1-2: free
	p = page(p.NextCursor) // rows 3-4: free
	p = page(p.NextCursor) // rows 5-6: bulk read 1
	page("")               // bulk read 2
	r := e.api("GET", "/api/v1/students?limit=2", viewer, nil).want(t, http.StatusTooManyRequests, "over the limit")
	var body struct {
		Error      string `json:"error"`
		RetryAfter int    `json:"retry_after"`
	}
	r.json(t, &body)
	if ra := r.header.Get("Retry-After"); ra == "" || ra != strconv.Itoa(body.RetryAfter) || body.RetryAfter < 1 || body.RetryAfter > 301 {
		t.Errorf("Retry-After %q, retry_after %d", ra, body.RetryAfter)
	}
	if !strings.Contains(body.Error, "try again in") {
		t.Errorf("error %q", body.Error)
	}
	br := e.browser()
	br.login("viewer", "password-1")
	if r := br.get("/students").want(t, http.StatusTooManyRequests, "page over the limit"); !strings.Contains(string(r.body), "秒后再试") {
		t.Errorf("429 page does not say when to retry:\n%s", r.body)
	}
	now = now.Add(time.Duration(body.RetryAfter) * time.Second)
	e.api("GET", "/api/v1/students?limit=4", viewer, nil).want(t, http.StatusOK, "after waiting")

	// An export is a bulk read however small.
	officer := e.login("officer", "password-1")
	e.api("GET", "/api/v1/schools/"+schoolA+"/register.xlsx", officer, nil).want(t, http.StatusOK, "export")

	var reads struct{ Items []store.BulkRead }
	e.api("GET", "/api/v1/reads/bulk", admin, nil).want(t, http.StatusOK, "bulk reads").json(t, &reads)
	var got []string
	for _, x := range reads.Items {
		got = append(got, x.User+" "+x.What+" "+strconv.Itoa(x.Rows))
		if strings.Contains(x.Query, "韦") {
			t.Errorf("the record keeps the name searched for: %q", x.Query)
		}
	}
	want := "officer export_xlsx 0|viewer students 4|viewer students 2|viewer students 2"
	if strings.Join(got, "|") != want {
		t.Errorf("bulk reads recorded\n got %q\nwant %q", strings.Join(got, "|"), want)
	}
	e.api("GET", "/api/v1/reads/bulk", viewer, nil).want(t, http.StatusForbidden, "a viewer lists bulk reads")
	var audit []store.AuditEntry
	e.api("GET", "/api/v1/reads/bulk?user=officer", admin, nil).want(t, http.StatusOK, "by user").json(t, &struct {
		Items *[]store.AuditEntry
	}{&audit})
	if len(audit) != 1 {
		t.Errorf("officer's bulk reads: %d", len(audit))
	}
}

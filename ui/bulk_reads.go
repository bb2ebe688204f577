package ui

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// Bulk reads (R22). Reading many children's records at once — list pages
// past a user's free allowance of rows, and every export and print register
// — is limited per user and recorded in the register (store.KindBulkRead),
// queued in this node's outbox before the answer like a read of a case. A
// user over the limit gets 429 with Retry-After. The limit is per node and
// in memory, as the login guard's is: its job is to make paging out the
// district slow and visible, and every bulk read that is served is recorded
// whichever node serves it.
//
//	GET /api/v1/reads/bulk[?user=NAME&limit=N]   administrators: {"items":[BulkRead…]} newest first

const (
	bulkFreeRows = 500              // rows a user may list per bulkWindow before list pages count as bulk reads
	bulkBurst    = 10               // bulk reads a user may make at once
	bulkWindow   = 10 * time.Minute // both allowances refill in full over this
)

// bulkGuard holds each user's allowances: two token buckets, one of rows
// listed for free and one of bulk reads, both full after window.
type bulkGuard struct {
	freeRows, burst float64
	window          time.Duration

	mu    sync.Mutex
	users map[string]*bulkAllowance
}

type bulkAllowance struct {
	rows, reads float64
	at          time.Time
}

func newBulkGuard() *bulkGuard {
	return &bulkGuard{freeRows: bulkFreeRows, burst: bulkBurst, window: bulkWindow, users: map[string]*bulkAllowance{}}
}

// take charges a read of n rows by user: it reports whether the read is a
// bulk read (always, for an export), and when a bulk read is over the
// limit, how long until the next one is allowed (0: allowed now).
func (g *bulkGuard) take(user string, n int, export bool, now time.Time) (bulk bool, wait time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.users[user]
	if a == nil {
		a = &bulkAllowance{rows: g.freeRows, reads: g.burst, at: now}
		g.users[user] = a
	}
	if d := now.Sub(a.at); d > 0 {
		f := d.Seconds() / g.window.Seconds()
		a.rows = math.Min(g.freeRows, a.rows+f*g.freeRows)
		a.reads = math.Min(g.burst, a.reads+f*g.burst)
		a.at = now
	}
	if !export && a.rows >= float64(n) {
		a.rows -= float64(n)
		return false, 0
	}
	if a.reads < 1 {
		return true, time.Duration((1-a.reads)*float64(g.window)/g.burst).Truncate(time.Second) + time.Second
	}
	a.reads--
	a.rows = math.Max(0, a.rows-float64(n))
	return true, 0
}

// bulkLimitError refuses a bulk read over the user's limit (429).
type bulkLimitError struct{ retry time.Duration }

func (e *bulkLimitError) Error() string {
	return fmt.Sprintf("too many bulk reads (lists of many children, exports) for this user: try again in %d seconds",
		int(e.retry.Seconds()))
}

// bulkRead charges user u's read of rows children (what, one of
// store.BulkWhats; query, what was asked) and records it when it is a bulk
// read. It returns *bulkLimitError over the limit, or the error of queueing
// the record: a bulk read that cannot be recorded is refused.
func (s *Server) bulkRead(u store.User, what, query string, rows int) error {
	export := what == store.BulkExport || what == store.BulkPrint
	bulk, wait := s.bulk.take(u.Username, rows, export, s.now())
	if !bulk {
		return nil
	}
	if wait > 0 {
		return &bulkLimitError{retry: wait}
	}
	cmd, err := store.NewCommand(newCommandID(), store.Actor{User: u.Username, Role: u.Role, Node: s.cfg.NodeID},
		store.BulkReadRecord{What: what, Scope: u.Scope.String(), Query: query, Rows: rows, At: s.now().UTC()})
	if err != nil {
		return err
	}
	return s.cfg.Queue.Enqueue(cmd)
}

// listQuery is a list's filters as a bulk read records them: never the
// name or number searched for (q), only that there was one.
func listQuery(q url.Values) string {
	out := url.Values{}
	for k, v := range q {
		if len(v) == 0 || v[0] == "" || k == "lang" {
			continue
		}
		if k == "q" {
			out.Set(k, "…")
			continue
		}
		if slices.Contains([]string{"school", "township", "village", "grade", "class", "status", "flag", "cursor", "limit"}, k) {
			out.Set(k, v[0])
		}
	}
	return out.Encode()
}

func (s *Server) registerBulkReadRoutes(api *echo.Group) {
	api.GET("/reads/bulk", s.apiBulkReads)
}

func (s *Server) apiBulkReads(c echo.Context) error {
	if _, err := requireAdmin(c); err != nil {
		return err
	}
	limit, err := intParam(c.QueryParams(), "limit", 1, 1000)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = 100
	}
	reads, err := s.db.BulkReads(c.QueryParam("user"), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, itemsJSON[store.BulkRead]{Items: reads})
}

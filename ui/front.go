package ui

import (
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// The headers every answer carries. Keys are in net/http's canonical form,
// so they can be assigned to the header map without Set's work.
const (
	hdrRequestID = "X-Request-Id" // echo.HeaderXRequestID
	hdrNosniff   = "X-Content-Type-Options"
	hdrFrame     = "X-Frame-Options"
	hdrCSP       = "Content-Security-Policy"
	hdrReferrer  = "Referrer-Policy"
	hdrCache     = "Cache-Control"

	contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

// front is the middleware every request passes first, in place of echo's
// RequestID, RequestLogger and Secure (issue 12: a write's CPU on the
// leader). It takes the request's X-Request-Id or makes one, sets the
// security headers, and after the rest of the chain (an error handled by
// the error handler, as RequestLogger's HandleError did) logs one access
// line: method, path (never the query: q= may hold an ID number), status,
// latency, request ID and the client's address. TestResponseHeaders pins
// both.
func (s *Server) front(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		req := c.Request()
		rid := req.Header.Get(hdrRequestID)
		if rid == "" {
			rid = newRequestID()
		}
		// One allocation for the five values; each slice is capped so that an
		// Add to one header cannot write into the next one's value.
		v := make([]string, 5)
		v[0], v[1], v[2], v[3], v[4] = rid, "nosniff", "DENY", contentSecurityPolicy, "same-origin"
		h := c.Response().Header()
		h[hdrRequestID], h[hdrNosniff], h[hdrFrame], h[hdrCSP], h[hdrReferrer] = v[0:1:1], v[1:2:2], v[2:3:3], v[3:4:4], v[4:5:5]
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		s.logRequest(c, rid, start)
		// The error, already answered, goes on up: echo's handler ignores an
		// answered one.
		return err
	}
}

// logRequest writes the access line, at INFO, without slog.Logger's
// caller lookup (the record's source would be this function anyway).
func (s *Server) logRequest(c echo.Context, rid string, start time.Time) {
	req := c.Request()
	ctx := req.Context()
	if !s.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	now := time.Now()
	path := req.URL.Path
	if path == "" {
		path = "/"
	}
	r := slog.NewRecord(now, slog.LevelInfo, "request", 0)
	r.AddAttrs(slog.String("method", req.Method), slog.String("path", path),
		slog.Int("status", c.Response().Status), slog.Duration("latency", now.Sub(start)),
		slog.String("request_id", rid), slog.String("remote_ip", c.RealIP()))
	_ = s.log.Handler().Handle(ctx, r)
}

// noStore keeps minors' records out of browser and proxy caches (shared
// school PCs).
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header()[hdrCache] = []string{"no-store"}
		return next(c)
	}
}

// Request IDs look as echo's RequestID made them: 32 letters, uniform.
// They need to be unique, not secret: math/rand/v2's generator (ChaCha8,
// seeded by the runtime from the OS) gives them without crypto/rand's
// reads and a pooled reader.
const ridCharset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func newRequestID() string {
	var b [32]byte
	for i := 0; i < len(b); {
		// Ten draws of six bits from each 64; values from 52 up are skipped
		// (no bias).
		x := rand.Uint64()
		for k := 0; k < 10 && i < len(b); k++ {
			if c := x & 63; c < uint64(len(ridCharset)) {
				b[i] = ridCharset[c]
				i++
			}
			x >>= 6
		}
	}
	return string(b[:])
}

// chainHandler serves requests as echo.Echo's ServeHTTP does, through a
// chain of global middleware composed once: echo composes it anew for
// every request (a closure per middleware per request).
type chainHandler struct {
	e     *echo.Echo
	chain echo.HandlerFunc
}

func newChainHandler(e *echo.Echo, mw ...echo.MiddlewareFunc) *chainHandler {
	h := func(c echo.Context) error { return c.Handler()(c) }
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return &chainHandler{e: e, chain: h}
}

func (h *chainHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := h.e.AcquireContext()
	c.Reset(r, w)
	h.e.Router().Find(r.Method, echo.GetPath(r), c)
	if err := h.chain(c); err != nil {
		h.e.HTTPErrorHandler(err, c)
	}
	h.e.ReleaseContext(c)
}

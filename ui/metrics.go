package ui

import (
	"net"
	"net/http"

	"github.com/labstack/echo/v4"
)

// registerMetricsRoutes: GET /metrics, the node's figures in Prometheus's
// text format (Config.Metrics; 404 without it).
//
// Who may read it: a client on this machine (the loopback address, and no
// proxy header saying the request came from elsewhere), or anyone with an
// administrator's API token (Authorization: Bearer, POST /api/v1/login).
// The figures name nodes and count commands; they hold no child's data, but
// a township's activity is the district's business, not the LAN's.
func (s *Server) registerMetricsRoutes(e *echo.Echo) {
	serve := func(c echo.Context) error {
		if s.cfg.Metrics == nil {
			return echo.ErrNotFound
		}
		s.cfg.Metrics.ServeHTTP(c.Response(), c.Request())
		return nil
	}
	admin := s.requireBearer(func(c echo.Context) error {
		if _, err := requireAdmin(c); err != nil {
			return err
		}
		return serve(c)
	})
	e.GET("/metrics", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		if fromThisMachine(c.Request()) {
			return serve(c)
		}
		return admin(c)
	})
}

// fromThisMachine reports whether r came over a loopback connection, not
// relayed by a proxy (which would also connect from loopback).
func fromThisMachine(r *http.Request) bool {
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

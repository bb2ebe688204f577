package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// registerHealthRoutes: GET /healthz, without authentication, for load
// balancers, scripts and the other nodes' operators.
func (s *Server) registerHealthRoutes(e *echo.Echo) {
	e.GET("/healthz", s.healthz)
}

type healthJSON struct {
	Status       string `json:"status"`
	NodeID       string `json:"node_id"`
	RaftState    string `json:"raft_state"`
	AppliedIndex uint64 `json:"applied_index"`
}

func (s *Server) healthz(c echo.Context) error {
	info := s.rep.Info()
	id := info.NodeID
	if id == "" {
		id = s.cfg.NodeID
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, healthJSON{Status: "ok", NodeID: id, RaftState: info.RaftState, AppliedIndex: info.AppliedIndex})
}

package ui

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// Cluster is what ui needs to manage the cluster (implemented by package
// sync, adapted in package node). Errors wrap ErrUnavailable when no leader
// can be reached and store.ErrNotFound for an unknown node; a change the
// register refused comes back as a result with State "rejected".
type Cluster interface {
	// Nodes lists the cluster's nodes with their progress.
	Nodes(ctx context.Context) ([]ClusterNode, error)
	// CreateToken registers a one-time join token on behalf of actor.
	CreateToken(ctx context.Context, actor store.Actor, voter bool, ttl time.Duration) (string, store.Result, error)
	// Member promotes, demotes or removes a node (store.MemberPromote, ...).
	Member(ctx context.Context, actor store.Actor, nodeID, action string) (store.Result, error)
	// TransferLeadership hands leadership to the voter to ("" any).
	TransferLeadership(ctx context.Context, to string) error
}

// ClusterNode is one node as the cluster page and API show it.
type ClusterNode struct {
	ID           string    `json:"id"`
	Address      string    `json:"address"`
	Township     string    `json:"township"`
	Voter        bool      `json:"voter"`      // votes now
	WantVoter    bool      `json:"want_voter"` // is to vote (promoted once caught up)
	Member       bool      `json:"member"`     // in the Raft configuration
	Leader       bool      `json:"leader"`
	Self         bool      `json:"self"`
	CA           bool      `json:"ca"` // signs joins
	Reachable    bool      `json:"reachable"`
	RaftState    string    `json:"raft_state"`
	LastContact  time.Time `json:"last_contact"` // zero: never heard from
	AppliedIndex uint64    `json:"applied_index"`
}

// Token time-to-live limits and default.
const (
	minTokenTTL     = time.Minute
	maxTokenTTL     = 30 * 24 * time.Hour
	defaultTokenTTL = 24 * time.Hour
)

// registerClusterRoutes: the cluster page and its API, administrators only.
func (s *Server) registerClusterRoutes(pages, api *echo.Group) {
	pages.GET("/cluster", s.clusterPage)
	pages.POST("/cluster/tokens", s.clusterTokenSubmit)
	pages.POST("/cluster/nodes/:id/:action", s.clusterMemberSubmit)
	pages.POST("/cluster/leadership", s.clusterLeadershipSubmit)
	api.GET("/cluster/nodes", s.apiClusterNodes)
	api.DELETE("/cluster/nodes/:id", s.apiClusterRemove)
	api.POST("/cluster/nodes/:id/:action", s.apiClusterMember)
	api.POST("/cluster/tokens", s.apiClusterToken)
	api.POST("/cluster/leadership", s.apiClusterLeadership)
}

// cluster returns the Cluster, or errUnavailable when the node has none.
func (s *Server) cluster() (Cluster, error) {
	if s.cfg.Cluster == nil {
		return nil, ErrUnavailable
	}
	return s.cfg.Cluster, nil
}

type tokenRequest struct {
	Voter bool   `json:"voter"`
	TTL   string `json:"ttl"` // Go duration ("24h", "90m") or days ("7d"); default 24h
}

// parseTTL reads a token's time to live.
func parseTTL(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return defaultTokenTTL, nil
	}
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(v, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(v)
	}
	if err != nil || d < minTokenTTL || d > maxTokenTTL {
		return 0, &store.FieldError{Field: "ttl", Code: "format", Message: "ttl must be a duration from 1m to 30d, e.g. 24h or 7d"}
	}
	return d, nil
}

func actorOf(u store.User) store.Actor { return store.Actor{User: u.Username, Role: u.Role} }

// createToken checks the request and asks the cluster for a token.
func (s *Server) createToken(c echo.Context, u store.User, in tokenRequest) (string, error) {
	cl, err := s.cluster()
	if err != nil {
		return "", err
	}
	ttl, err := parseTTL(in.TTL)
	if err != nil {
		return "", err
	}
	tok, res, err := cl.CreateToken(c.Request().Context(), actorOf(u), in.Voter, ttl)
	if err != nil {
		return "", err
	}
	if _, err := outcome(res); err != nil {
		return "", err
	}
	return tok, nil
}

func (s *Server) apiClusterToken(c echo.Context) error {
	u, err := requireAdmin(c)
	if err != nil {
		return err
	}
	var in tokenRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	tok, err := s.createToken(c, u, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]string{"token": tok})
}

func (s *Server) apiClusterNodes(c echo.Context) error {
	if _, err := requireAdmin(c); err != nil {
		return err
	}
	cl, err := s.cluster()
	if err != nil {
		return err
	}
	nodes, err := cl.Nodes(c.Request().Context())
	return listJSON(c, nodes, err)
}

// memberActions maps the URL's action to the register's.
var memberActions = map[string]string{"promote": store.MemberPromote, "demote": store.MemberDemote}

// member runs a promote, demote or remove.
func (s *Server) member(c echo.Context, u store.User, id, action string) (store.Result, error) {
	cl, err := s.cluster()
	if err != nil {
		return store.Result{}, err
	}
	res, err := cl.Member(c.Request().Context(), actorOf(u), id, action)
	if err != nil {
		return res, err
	}
	return outcome(res)
}

func (s *Server) apiClusterMember(c echo.Context) error {
	u, err := requireAdmin(c)
	if err != nil {
		return err
	}
	action, ok := memberActions[c.Param("action")]
	if !ok {
		return store.ErrNotFound
	}
	res, err := s.member(c, u, c.Param("id"), action)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"command": commandOf(res)})
}

func (s *Server) apiClusterRemove(c echo.Context) error {
	u, err := requireAdmin(c)
	if err != nil {
		return err
	}
	res, err := s.member(c, u, c.Param("id"), store.MemberRemove)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"command": commandOf(res)})
}

type leadershipRequest struct {
	To string `json:"to"`
}

func (s *Server) apiClusterLeadership(c echo.Context) error {
	if _, err := requireAdmin(c); err != nil {
		return err
	}
	var in leadershipRequest
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
	}
	cl, err := s.cluster()
	if err != nil {
		return err
	}
	if err := cl.TransferLeadership(c.Request().Context(), strings.TrimSpace(in.To)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- page ----

type clusterPage struct {
	basePage
	Nodes     []ClusterNode
	Townships map[string]string // code → name
	Token     string            // a token just created, shown once
	TokenTTL  string
	Voter     bool
	formState
}

func (s *Server) newClusterPage(c echo.Context) clusterPage {
	p := clusterPage{basePage: s.base(c, "title.cluster", "cluster"), TokenTTL: "24h",
		Townships: s.orgNames(), formState: newFormState()}
	cl, err := s.cluster()
	if err == nil {
		p.Nodes, err = cl.Nodes(c.Request().Context())
	}
	if err != nil {
		s.log.Warn("cluster page: list nodes", "err", err)
		p.Error = translate(p.Lang, "cluster.unavailable")
	}
	return p
}

func (s *Server) clusterPage(c echo.Context) error {
	if _, err := requireAdmin(c); err != nil {
		return err
	}
	return c.Render(http.StatusOK, "cluster.html", s.newClusterPage(c))
}

func (s *Server) clusterTokenSubmit(c echo.Context) error {
	u, err := requireAdmin(c)
	if err != nil {
		return err
	}
	in := tokenRequest{Voter: c.FormValue("voter") == "on", TTL: c.FormValue("ttl")}
	tok, err := s.createToken(c, u, in)
	p := s.newClusterPage(c)
	p.TokenTTL, p.Voter = in.TTL, in.Voter
	if err != nil {
		return s.renderClusterError(c, p, err)
	}
	// The token is shown once, on this response only; it is not stored.
	p.Token = tok
	return c.Render(http.StatusCreated, "cluster.html", p)
}

func (s *Server) clusterMemberSubmit(c echo.Context) error {
	u, err := requireAdmin(c)
	if err != nil {
		return err
	}
	action, ok := memberActions[c.Param("action")]
	if c.Param("action") == "remove" {
		action, ok = store.MemberRemove, true
	}
	if !ok {
		return store.ErrNotFound
	}
	if _, err := s.member(c, u, c.Param("id"), action); err != nil {
		return s.renderClusterError(c, s.newClusterPage(c), err)
	}
	s.setFlash(c, "cluster_changed")
	return c.Redirect(http.StatusSeeOther, "/cluster")
}

func (s *Server) clusterLeadershipSubmit(c echo.Context) error {
	if _, err := requireAdmin(c); err != nil {
		return err
	}
	cl, err := s.cluster()
	if err == nil {
		err = cl.TransferLeadership(c.Request().Context(), strings.TrimSpace(c.FormValue("to")))
	}
	if err != nil {
		return s.renderClusterError(c, s.newClusterPage(c), err)
	}
	s.setFlash(c, "leadership_transferred")
	return c.Redirect(http.StatusSeeOther, "/cluster")
}

// renderClusterError shows a refused change on the page: field errors
// beside the field, rejections and unavailability above the forms, others
// as the error page.
func (s *Server) renderClusterError(c echo.Context, p clusterPage, err error) error {
	var rej *rejectedError
	switch {
	case asFieldError(err) != nil:
		p.setError(p.Lang, []string{"ttl"}, err)
	case errors.As(err, &rej):
		p.Error = rejectionMessage(p.Lang, rej.res)
		if p.Lang != langEN && rej.res.Reason != "" {
			p.Error += "（" + rej.res.Reason + "）" // e.g. which node is the last voter
		}
	case errors.Is(err, ErrUnavailable):
		p.Error = translate(p.Lang, "cluster.unavailable")
	case errors.Is(err, store.ErrNotFound):
		p.Error = translate(p.Lang, "cluster.no_node")
	default:
		return err
	}
	return c.Render(statusOf(err), "cluster.html", p)
}

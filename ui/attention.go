package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// registerAttentionRoutes: the "needs attention" list, commands this node
// took that the register rejected after their authors were told "pending".
// Each user sees their own, an administrator everyone's; only the author or
// an administrator may dismiss one.
//
//	GET  /attention                          page
//	POST /attention/{id}/dismiss             form
//	GET  /api/v1/attention                   {"items":[AttentionItem…]}
//	POST /api/v1/attention/{id}/dismiss      204
func (s *Server) registerAttentionRoutes(pages, api *echo.Group) {
	pages.GET("/attention", s.attentionPage)
	pages.POST("/attention/:id/dismiss", s.attentionDismissForm)
	api.GET("/attention", s.apiAttention)
	api.POST("/attention/:id/dismiss", s.apiAttentionDismiss)
}

// attentionFor lists what u may see.
func (s *Server) attentionFor(u store.User) ([]AttentionItem, error) {
	who := u.Username
	if u.Role == store.RoleAdmin {
		who = ""
	}
	return s.outbox().Attention(who)
}

// dismissAttention removes item id if u wrote it or is an administrator.
// Another user's item is store.ErrNotFound, as for GET /commands/{id}.
func (s *Server) dismissAttention(u store.User, id string) error {
	it, err := s.outbox().AttentionItem(id)
	if err != nil {
		return err
	}
	if it.Author != u.Username && u.Role != store.RoleAdmin {
		return store.ErrNotFound
	}
	return s.outbox().Dismiss(id)
}

type attentionPage struct {
	basePage
	Items []AttentionItem
}

func (s *Server) attentionPage(c echo.Context) error {
	u, ok := userOf(c)
	if !ok {
		return errUnauthenticated
	}
	items, err := s.attentionFor(u)
	if err != nil {
		return err
	}
	p := attentionPage{basePage: s.base(c, "title.attention", "attention"), Items: items}
	return c.Render(http.StatusOK, "attention.html", p)
}

func (s *Server) attentionDismissForm(c echo.Context) error {
	u, ok := userOf(c)
	if !ok {
		return errUnauthenticated
	}
	if err := s.dismissAttention(u, c.Param("id")); err != nil {
		return err
	}
	s.setFlash(c, "dismissed")
	return c.Redirect(http.StatusSeeOther, "/attention")
}

func (s *Server) apiAttention(c echo.Context) error {
	u, ok := userOf(c)
	if !ok {
		return errUnauthenticated
	}
	items, err := s.attentionFor(u)
	if err != nil {
		return err
	}
	if items == nil {
		items = []AttentionItem{}
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

func (s *Server) apiAttentionDismiss(c echo.Context) error {
	u, ok := userOf(c)
	if !ok {
		return errUnauthenticated
	}
	if err := s.dismissAttention(u, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

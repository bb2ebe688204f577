package ui

import (
	"encoding/json"
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

// attentionFor lists what u may see: their own items as they entered them;
// an administrator's list of everyone's shows a child in another user's
// payload as lists show children (store.ListView).
func (s *Server) attentionFor(u store.User) ([]AttentionItem, error) {
	who := u.Username
	if u.Role == store.RoleAdmin {
		who = ""
	}
	items, err := s.cfg.Attention.Attention(who)
	for i := range items {
		if items[i].Author != u.Username {
			items[i].Payload = maskPayload(s.listView(u), items[i].Payload)
		}
	}
	return items, err
}

// maskPayload shows a command's payload through view where it holds a
// child's fields (student.create: the fields; student.update: under
// "fields"); any other payload as it is.
func maskPayload(view store.View, raw json.RawMessage) json.RawMessage {
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) != nil {
		return raw
	}
	mask := func(f store.StudentFields) store.StudentFields {
		return view.Student(store.Student{StudentFields: f}).StudentFields
	}
	var out []byte
	var err error
	switch {
	case keys["fields"] != nil:
		var p store.StudentUpdate
		if err = json.Unmarshal(raw, &p); err == nil {
			p.Fields = mask(p.Fields)
			out, err = json.Marshal(p)
		}
	case keys["id_number"] != nil:
		var f store.StudentFields
		if err = json.Unmarshal(raw, &f); err == nil {
			out, err = json.Marshal(mask(f))
		}
	default:
		return raw
	}
	if err != nil {
		return json.RawMessage(`{}`) // not shown rather than shown in full
	}
	return out
}

// dismissAttention removes item id if u wrote it or is an administrator.
// Another user's item is store.ErrNotFound, as for GET /commands/{id}.
func (s *Server) dismissAttention(u store.User, id string) error {
	it, err := s.cfg.Attention.AttentionItem(id)
	if err != nil {
		return err
	}
	if it.Author != u.Username && u.Role != store.RoleAdmin {
		return store.ErrNotFound
	}
	return s.cfg.Attention.Dismiss(id)
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

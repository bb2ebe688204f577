package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// registerHouseholdRoutes: the households (户) of a villager group — the
// level under the group in the government line — as the register knows
// them through their children (store.Households).
//
//	GET /groups/{code}/households          page
//	GET /api/v1/groups/{code}/households   {"items":[{"no","children":[Student…]}]}
func (s *Server) registerHouseholdRoutes(pages, api *echo.Group) {
	pages.GET("/groups/:code/households", s.householdsPage)
	api.GET("/groups/:code/households", s.apiHouseholds)
}

// households reads a group's households for user u, children shown as
// the user may see them listed (masked).
func (s *Server) households(u store.User, code string) ([]store.Household, error) {
	hs, err := s.db.Households(u.Scope, code)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, h := range hs {
		n += len(h.Children)
	}
	if err := s.bulkRead(u, store.BulkHouseholds, "group="+code, n); err != nil {
		return nil, err
	}
	return s.listView(u).Households(hs), nil
}

func (s *Server) apiHouseholds(c echo.Context) error {
	u, _ := userOf(c)
	hs, err := s.households(u, c.Param("code"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, itemsJSON[store.Household]{Items: hs})
}

type householdsPage struct {
	basePage
	orgTree
	Group      store.Group
	Households []store.Household
	Children   int
	// Leaders are today's group leaders answering for the group's
	// households (双线四包: 组长包户); none is a gap.
	Leaders []store.Assignment
}

func (s *Server) householdsPage(c echo.Context) error {
	u, _ := userOf(c)
	code := c.Param("code")
	hs, err := s.households(u, code)
	if err != nil {
		return err
	}
	o, err := s.loadOrg()
	if err != nil {
		return err
	}
	p := householdsPage{basePage: s.base(c, "title.households", "students"), orgTree: o, Households: hs}
	for _, gs := range o.Groups {
		for _, g := range gs.Groups {
			if g.Code == code {
				p.Group = g
			}
		}
	}
	for _, h := range hs {
		p.Children += len(h.Children)
	}
	if p.Leaders, err = s.db.Assignments(u.Scope, store.AssignmentFilter{Level: store.LevelHousehold, Unit: code, ActiveOn: s.today()}); err != nil {
		return err
	}
	p.Title = translate(p.Lang, "households.title_of", o.Name(p.Group.VillageCode)+o.Name(code))
	return c.Render(http.StatusOK, "households.html", p)
}

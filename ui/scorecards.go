package ui

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// Scorecards (R20): per term, the townships or the schools in the user's
// scope ranked by their score (store.Scorecard says how it is made).
//
//	GET /api/v1/scorecards?level=township|school&term=YYYY-MM-DD   store.Scorecard
//
// level defaults to the townships for the bureau and to the schools for a
// township; term (the first day of a term) to the term of today.

func (s *Server) registerScorecardRoutes(pages, api *echo.Group) {
	api.GET("/scorecards", s.apiScorecards)
	pages.GET("/scorecards", s.scorecardsPage)
}

func (s *Server) scorecard(c echo.Context, u store.User) (store.Scorecard, error) {
	level := strings.TrimSpace(c.QueryParam("level"))
	if level == "" {
		level = store.LevelSchool
		if u.Scope.Kind == store.ScopeDistrict {
			level = store.LevelTownship
		}
	}
	return s.db.Scorecard(u.Scope, level, strings.TrimSpace(c.QueryParam("term")), s.today())
}

func (s *Server) apiScorecards(c echo.Context) error {
	u, _ := userOf(c)
	card, err := s.scorecard(c, u)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, card)
}

type scorecardsPage struct {
	basePage
	orgTree
	Card store.Scorecard
}

// Percent shows a fraction in percent ("—" for none).
func (p *scorecardsPage) Percent(v *float64) string { return figure(percent(v), "%") }

// Ratio shows n of m ("—" when m is 0).
func (p *scorecardsPage) Ratio(n, m int) string {
	if m == 0 {
		return "—"
	}
	v := float64(n) / float64(m)
	return figure(num(n), "") + "/" + figure(num(m), "") + "（" + p.Percent(&v) + "）"
}

func (s *Server) scorecardsPage(c echo.Context) error {
	u, _ := userOf(c)
	o, err := s.loadOrg()
	if err != nil {
		return err
	}
	p := scorecardsPage{basePage: s.base(c, "title.scorecards", "scorecards"), orgTree: o}
	p.Wide = true
	if p.Card, err = s.scorecard(c, u); err != nil {
		return err
	}
	return c.Render(http.StatusOK, "scorecards.html", &p)
}

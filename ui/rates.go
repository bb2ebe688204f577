package ui

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// The rates of R19 (GET /api/v1/rates) and the children behind each of
// their terms (GET /api/v1/rates/children, the page /rates/children).
//
//	GET /api/v1/rates?level=district|township|school&code=&year=     store.RatesReport
//	GET /api/v1/rates/children?level=&code=&year=&term=&limit=&cursor=   {"items","total","next_cursor",…}
//
// level and code default to the user's own unit (a class's teacher: the
// school), year to the school year of today.

func (s *Server) registerRateRoutes(pages, api *echo.Group) {
	api.GET("/rates", s.apiRates)
	api.GET("/rates/children", s.apiRateChildren)
	pages.GET("/rates/children", s.rateChildrenPage)
}

// ownUnit is the unit a user looks at by default.
func ownUnit(sc store.Scope) (level, code string) {
	switch sc.Kind {
	case store.ScopeDistrict:
		return store.LevelDistrict, ""
	case store.ScopeTownship:
		return store.LevelTownship, sc.Code
	}
	return store.LevelSchool, sc.Code
}

// rateQuery reads level, code and year, defaulting to the user's unit and
// today's school year.
func (s *Server) rateQuery(c echo.Context, u store.User) (store.RateQuery, error) {
	q := store.RateQuery{Level: strings.TrimSpace(c.QueryParam("level")), Code: strings.TrimSpace(c.QueryParam("code")), Today: s.today()}
	if q.Level == "" {
		q.Level, q.Code = ownUnit(u.Scope)
	}
	var err error
	q.Year, err = s.yearParam(c)
	return q, err
}

func (s *Server) apiRates(c echo.Context) error {
	u, _ := userOf(c)
	q, err := s.rateQuery(c, u)
	if err != nil {
		return err
	}
	rep, err := s.db.Rates(u.Scope, q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
}

// rateChildren reads the list behind a term, charged as a list of children
// (bulk_reads.go) and shown as lists show children (ages, no birth dates).
func (s *Server) rateChildren(c echo.Context, u store.User) (store.RateQuery, string, store.LedgerPage, error) {
	q, err := s.rateQuery(c, u)
	if err != nil {
		return q, "", store.LedgerPage{}, err
	}
	term := strings.TrimSpace(c.QueryParam("term"))
	limit, err := intParam(c.QueryParams(), "limit", 1, store.MaxLimit)
	if err != nil {
		return q, term, store.LedgerPage{}, err
	}
	page, err := s.db.RateChildren(u.Scope, q, term, store.LedgerFilter{Limit: limit, Cursor: c.QueryParam("cursor")})
	if err != nil {
		return q, term, page, err
	}
	what := url.Values{"level": {q.Level}, "code": {q.Code}, "year": {strconv.Itoa(q.Year)}, "term": {term}}
	if err := s.bulkRead(u, store.BulkStudents, "rates:"+what.Encode(), len(page.Items)); err != nil {
		return q, term, page, err
	}
	store.AsListed(page.Items, s.today())
	return q, term, page, nil
}

func (s *Server) apiRateChildren(c echo.Context) error {
	u, _ := userOf(c)
	_, _, page, err := s.rateChildren(c, u)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page)
}

type rateChildrenPage struct {
	basePage
	orgTree
	Q       store.RateQuery
	Term    string
	Page    store.LedgerPage
	NextURL string
	BackURL string
}

func (s *Server) rateChildrenPage(c echo.Context) error {
	u, _ := userOf(c)
	o, err := s.loadOrg()
	if err != nil {
		return err
	}
	q, term, page, err := s.rateChildren(c, u)
	if err != nil {
		return err
	}
	p := rateChildrenPage{basePage: s.base(c, "title.rate_children", "dashboard"), orgTree: o, Q: q, Term: term, Page: page,
		BackURL: unitURL("/dashboard", q.Level, q.Code, q.Year)}
	if page.NextCursor != "" {
		next := c.QueryParams()
		next.Set("cursor", page.NextCursor)
		p.NextURL = "/rates/children?" + next.Encode()
	}
	return c.Render(http.StatusOK, "rate_children.html", p)
}

// unitURL is the address of a page about a unit and year.
func unitURL(path, level, code string, year int) string {
	v := url.Values{"level": {level}, "year": {strconv.Itoa(year)}}
	if code != "" {
		v.Set("code", code)
	}
	return path + "?" + v.Encode()
}

// TermURL is the address of the list behind a term of the page's rates.
func termURL(q store.RateQuery, term string) string {
	return unitURL("/rates/children", q.Level, q.Code, q.Year) + "&term=" + url.QueryEscape(term)
}

// percent shows a fraction as a percentage with one decimal; nil is no figure.
func percent(v *float64) *float64 {
	if v == nil {
		return nil
	}
	p := math.Round(*v*1000) / 10
	return &p
}

// registerRateTargetRoutes: the targets the rates are held against.
//
//	GET /api/v1/settings/rates   store.RateTargets
//	PUT /api/v1/settings/rates   {"consolidation","progression","version","command_id"} (the bureau)
func (s *Server) registerRateTargetRoutes(pages, api *echo.Group) {
	api.GET("/settings/rates", s.apiRateTargets)
	api.PUT("/settings/rates", s.apiPutRateTargets)
	pages.POST("/settings/rates", s.rateTargetsSubmit)
}

func (s *Server) apiRateTargets(c echo.Context) error {
	t, err := s.db.RateTargets()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (s *Server) setRateTargets(c echo.Context, u store.User, cmdID string, p *store.RateTargetsChange) (store.Result, error) {
	return s.execute(c, u, write{ID: cmdID, Payload: p, Version: p.Version,
		Check: func() error { return store.CheckRateTargets(&p.RateTargets) }})
}

func (s *Server) apiPutRateTargets(c echo.Context) error {
	u, err := requireBureau(c)
	if err != nil {
		return err
	}
	var in struct {
		store.RateTargets
		CommandID string `json:"command_id"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	r, err := s.setRateTargets(c, u, in.CommandID, &store.RateTargetsChange{RateTargets: in.RateTargets})
	if err != nil {
		return err
	}
	t, _ := s.db.RateTargets()
	return c.JSON(http.StatusOK, struct {
		Targets store.RateTargets `json:"targets"`
		Command commandJSON       `json:"command"`
	}{t, commandOf(r)})
}

// rateTargetsSubmit: the dashboard's form of the targets (the bureau).
func (s *Server) rateTargetsSubmit(c echo.Context) error {
	u, err := requireBureau(c)
	if err != nil {
		return err
	}
	var p store.RateTargetsChange
	p.Consolidation, err = strconv.ParseFloat(strings.TrimSpace(c.FormValue("consolidation")), 64)
	if err != nil {
		return &store.FieldError{Field: "consolidation", Code: "format", Message: "the consolidation target is a number of percent"}
	}
	if p.Progression, err = strconv.ParseFloat(strings.TrimSpace(c.FormValue("progression")), 64); err != nil {
		return &store.FieldError{Field: "progression", Code: "format", Message: "the progression target is a number of percent"}
	}
	p.Version, _ = strconv.ParseUint(c.FormValue("version"), 10, 64)
	_, err = s.setRateTargets(c, u, c.FormValue("command_id"), &p)
	return s.answerForm(c, err, formNext{Flash: "targets_set", To: "/dashboard"}, func(status int) error {
		return err // the dashboard shows no form errors: the error page says why
	})
}

package ui

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// The dashboard (/dashboard): the rates of the user's unit (or another in
// scope: ?level=&code= or ?unit=township:CODE) against their targets, each
// with its formula and the lists behind its terms, and charts of the
// rates, the monthly dropouts and returns, the open cases by age and
// stage, the three ledgers' sizes and the report timeliness. Every chart
// is drawn from a spec (data-chart) and has its table, of the same
// figures, one click away.

type dashboardPage struct {
	basePage
	orgTree
	Q         store.RateQuery
	UnitLabel string
	Units     []unitOption
	Rates     store.RatesReport
	Charts    []chart
	IsBureau  bool // may set the targets
	CommandID string
}

// unitOption is a unit the user may look at.
type unitOption struct {
	Value, Label string
	Selected     bool
}

// chart is one chart and its table: categories × series (nil: no figure).
type chart struct {
	ID         string        `json:"-"`
	Title      string        `json:"title"`
	Kind       string        `json:"kind"` // bar, line, stack
	Unit       string        `json:"unit"` // "%" or ""
	Categories []string      `json:"categories"`
	Series     []series      `json:"series"`
	Target     *float64      `json:"target,omitempty"`
	TargetName string        `json:"target_name,omitempty"`
	Lang       string        `json:"lang"`
	Empty      bool          `json:"-"`
	spec       string        // the JSON above
	rows       [][]chartCell // the table: a row per category
	header     []string      // the corner, then the series' names
}

type series struct {
	Name string     `json:"name"`
	Data []*float64 `json:"data"`
}

type chartCell struct {
	Text string
	Num  bool
}

// Spec is the chart as JSON, for dashboard.js.
func (ch *chart) Spec() string { return ch.spec }

// Header and Rows are the chart's table.
func (ch *chart) Header() []string    { return ch.header }
func (ch *chart) Rows() [][]chartCell { return ch.rows }

// finish writes the spec and the table of a chart.
func (ch *chart) finish(lang, corner string) {
	ch.Lang = lang
	b, _ := json.Marshal(ch)
	ch.spec = string(b)
	ch.header = []string{corner}
	for _, s := range ch.Series {
		ch.header = append(ch.header, s.Name)
	}
	ch.Empty = true
	for i, cat := range ch.Categories {
		row := []chartCell{{Text: cat}}
		for _, s := range ch.Series {
			row = append(row, chartCell{Text: figure(s.Data[i], ch.Unit), Num: true})
			if s.Data[i] != nil && *s.Data[i] != 0 {
				ch.Empty = false
			}
		}
		ch.rows = append(ch.rows, row)
	}
}

// figure writes a chart's value as its table shows it.
func figure(v *float64, unit string) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64) + unit
}

func num(n int) *float64 { f := float64(n); return &f }

func (s *Server) registerDashboardRoutes(pages *echo.Group) {
	pages.GET("/dashboard", s.dashboardPage)
}

func (s *Server) dashboardPage(c echo.Context) error {
	u, _ := userOf(c)
	o, err := s.loadOrg()
	if err != nil {
		return err
	}
	p := &dashboardPage{basePage: s.base(c, "title.dashboard", "dashboard"), orgTree: o}
	p.Wide = true
	p.IsBureau, p.CommandID = u.CanWrite() && u.Scope.Kind == store.ScopeDistrict, newCommandID()
	if unit := strings.TrimSpace(c.QueryParam("unit")); unit != "" {
		level, code, _ := strings.Cut(unit, ":")
		c.QueryParams().Set("level", level)
		c.QueryParams().Set("code", code)
	}
	if p.Q, err = s.rateQuery(c, u); err != nil {
		return err
	}
	if p.Rates, err = s.db.Rates(u.Scope, p.Q); err != nil {
		return err
	}
	p.UnitLabel = p.unitLabel(p.Q.Level, p.Q.Code)
	p.Units = p.unitOptions(u.Scope)
	if err := s.dashboardCharts(p, u); err != nil {
		return err
	}
	return c.Render(http.StatusOK, "dashboard.html", p)
}

func (p *dashboardPage) unitLabel(level, code string) string {
	if level == store.LevelDistrict {
		return translate(p.Lang, "dashboard.district")
	}
	return p.Name(code)
}

// unitOptions are the units in the user's scope: the district, townships, schools.
func (p *dashboardPage) unitOptions(sc store.Scope) []unitOption {
	var out []unitOption
	add := func(level, code string) {
		v := level
		if code != "" {
			v += ":" + code
		}
		out = append(out, unitOption{Value: v, Label: p.unitLabel(level, code), Selected: level == p.Q.Level && code == p.Q.Code})
	}
	if sc.Kind == store.ScopeDistrict {
		add(store.LevelDistrict, "")
	}
	for _, t := range p.Townships {
		if sc.Kind == store.ScopeDistrict || (sc.Kind == store.ScopeTownship && sc.Code == t.Code) {
			add(store.LevelTownship, t.Code)
		}
	}
	for _, sch := range p.Schools {
		if sc.Kind == store.ScopeDistrict || (sc.Kind == store.ScopeTownship && sc.Code == sch.TownshipCode) || sc.Code == sch.Code {
			add(store.LevelSchool, sch.Code)
		}
	}
	return out
}

// TermURL is the list of the children behind a term of the page's rates.
func (p *dashboardPage) TermURL(term string) string { return termURL(p.Q, term) }

// Percent shows a rate's value in percent.
func (p *dashboardPage) Percent(v *float64) string { return figure(percent(v), "%") }

// TargetPercent shows a target (a fraction) in percent.
func (p *dashboardPage) TargetPercent(v float64) string { return figure(percent(&v), "%") }

// UnitURL is the dashboard of a unit under the one shown.
func (p *dashboardPage) UnitURL(level, code string) string {
	return unitURL("/dashboard", level, code, p.Q.Year)
}

// unitScope is the scope of the unit shown, narrowed to a class's teacher's own class.
func unitScopeOf(q store.RateQuery, u store.User) store.Scope {
	switch {
	case u.Scope.Kind == store.ScopeClass:
		return u.Scope
	case q.Level == store.LevelDistrict:
		return store.DistrictScope
	case q.Level == store.LevelTownship:
		return store.Scope{Kind: store.ScopeTownship, Code: q.Code}
	}
	return store.Scope{Kind: store.ScopeSchool, Code: q.Code}
}

package ui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// The risk list, the weekly check and the settings of the calendar and the
// ladder, as pages.

type riskPage struct {
	basePage
	orgTree
	Items    []store.Risk
	Total    int
	Tier     int
	Settings store.WatchSettings
	Error    string
}

func (s *Server) riskPage(c echo.Context) error {
	u, _ := userOf(c)
	o, err := s.loadOrg()
	if err != nil {
		return err
	}
	p := riskPage{basePage: s.base(c, "title.risk", "risk"), orgTree: o}
	if p.Settings, err = s.db.WatchSettings(); err != nil {
		return err
	}
	f, err := parseRiskFilter(c)
	if err == nil {
		p.Tier = f.Tier
		p.Items, p.Total, err = s.db.RiskList(u.Scope, f, s.today())
	}
	if fe := asFieldError(err); fe != nil {
		p.Error = fieldMessage(p.Lang, fe)
		return c.Render(http.StatusBadRequest, "risk.html", p)
	}
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "risk.html", p)
}

type weekPage struct {
	basePage
	orgTree
	Week      string
	Prev      string
	Items     []store.WeekStatus
	Unchecked int
	CommandID string
	Error     string
	ErrorLink string
	LinkText  string
	Note      string
}

func (s *Server) loadWeek(c echo.Context, d string) (*weekPage, error) {
	u, _ := userOf(c)
	o, err := s.loadOrg()
	if err != nil {
		return nil, err
	}
	if !store.ValidDate(d) {
		d = s.today()
	}
	p := &weekPage{basePage: s.base(c, "title.weeks", "weeks"), orgTree: o, Week: store.Monday(d), CommandID: newCommandID()}
	p.Prev = store.Monday(addDaysUI(p.Week, -7))
	if p.Items, err = s.db.Week(u.Scope, d); err != nil {
		return nil, err
	}
	for _, w := range p.Items {
		if w.Check == nil {
			p.Unchecked++
		}
	}
	return p, nil
}

func addDaysUI(d string, n int) string {
	t, err := time.Parse("2006-01-02", d)
	if err != nil {
		return d
	}
	return t.AddDate(0, 0, n).Format("2006-01-02")
}

func (s *Server) weekPage(c echo.Context) error {
	p, err := s.loadWeek(c, strings.TrimSpace(c.QueryParam("week")))
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "weeks.html", p)
}

func (s *Server) weekSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	p := &store.WeekCheck{School: c.FormValue("school"), Week: c.FormValue("week"), Note: c.FormValue("note")}
	cmdID := c.FormValue("command_id")
	_, err = s.checkWeek(c, u, cmdID, p)
	back := "/weeks?week=" + p.Week
	switch {
	case err == nil:
		s.setFlash(c, "week_checked")
		return c.Redirect(http.StatusSeeOther, back)
	case asPending(err) != nil:
		s.setFlash(c, "pending")
		return c.Redirect(http.StatusSeeOther, back)
	case asFieldError(err) == nil && asRejected(err) == nil:
		return err
	}
	page, lerr := s.loadWeek(c, p.Week)
	if lerr != nil {
		return lerr
	}
	page.Note = p.Note
	if rej := asRejected(err); rej != nil {
		page.Error = rejectionMessage(page.Lang, rej.res)
	} else {
		page.Error, page.CommandID = fieldMessage(page.Lang, asFieldError(err)), cmdID
	}
	return c.Render(statusOf(err), "weeks.html", page)
}

// ---- settings ----

type calendarPage struct {
	basePage
	Calendar                  store.Calendar
	Terms, Holidays, Workdays string // one per line, as the form has them
	CommandID                 string
	Error                     string
	ErrorLink, LinkText       string
	CanEdit                   bool
}

// spansText writes spans one a line: "2026-09-01 2027-01-22 秋季学期".
func spansText(xs []store.Span) string {
	var b strings.Builder
	for _, x := range xs {
		b.WriteString(strings.TrimSpace(x.From + " " + x.To + " " + x.Name))
		b.WriteByte('\n')
	}
	return b.String()
}

// parseSpans reads spans one a line; a line with one date is that day.
func parseSpans(field, text string) ([]store.Span, error) {
	var out []store.Span
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		sp := store.Span{From: f[0], To: f[0]}
		rest := f[1:]
		if len(rest) > 0 && store.ValidDate(rest[0]) {
			sp.To, rest = rest[0], rest[1:]
		}
		sp.Name = strings.Join(rest, " ")
		if !store.ValidDate(sp.From) {
			return nil, &store.FieldError{Field: field, Code: "format", Message: field + ": each line is a date, an end date and a name: " + strings.TrimSpace(line)}
		}
		out = append(out, sp)
	}
	return out, nil
}

func (s *Server) calendarPage(c echo.Context) error {
	cal, err := s.db.Calendar()
	if err != nil {
		return err
	}
	u, _ := userOf(c)
	p := calendarPage{basePage: s.base(c, "title.calendar", "calendar"), Calendar: cal, Terms: spansText(cal.Terms),
		Holidays: spansText(cal.Holidays), Workdays: strings.Join(cal.Workdays, "\n"), CommandID: newCommandID(),
		CanEdit: u.Role == store.RoleAdmin || (u.CanWrite() && u.Scope.Kind == store.ScopeDistrict)}
	return c.Render(http.StatusOK, "calendar.html", p)
}

func (s *Server) calendarSubmit(c echo.Context) error {
	u, err := requireBureau(c)
	if err != nil {
		return err
	}
	in := calendarPage{Terms: c.FormValue("terms"), Holidays: c.FormValue("holidays"), Workdays: c.FormValue("workdays"), CommandID: c.FormValue("command_id")}
	version, _ := strconv.ParseUint(c.FormValue("version"), 10, 64)
	cal := store.Calendar{Workdays: strings.Fields(in.Workdays)}
	cal.Terms, err = parseSpans("terms", in.Terms)
	if err == nil {
		cal.Holidays, err = parseSpans("holidays", in.Holidays)
	}
	if err == nil {
		p := &store.CalendarSet{Calendar: cal}
		_, err = s.execute(c, u, write{ID: in.CommandID, Payload: p, Version: version,
			Check: func() error { return store.CheckCalendar(&p.Calendar) }})
	}
	switch {
	case err == nil:
		s.setFlash(c, "calendar_saved")
		return c.Redirect(http.StatusSeeOther, "/settings/calendar")
	case asPending(err) != nil:
		s.setFlash(c, "pending")
		return c.Redirect(http.StatusSeeOther, "/settings/calendar")
	case asFieldError(err) == nil && asRejected(err) == nil:
		return err
	}
	cur, cerr := s.db.Calendar()
	if cerr != nil {
		return cerr
	}
	p := in
	p.basePage, p.Calendar, p.CanEdit = s.base(c, "title.calendar", "calendar"), cur, true
	if rej := asRejected(err); rej != nil {
		p.Error, p.CommandID = rejectionMessage(p.Lang, rej.res), newCommandID()
		p.ErrorLink, p.LinkText = "/settings/calendar", translate(p.Lang, "attendance.reload")
	} else {
		p.Error = fieldMessage(p.Lang, asFieldError(err))
	}
	return c.Render(statusOf(err), "calendar.html", p)
}

type watchSettingsPage struct {
	basePage
	Settings  store.WatchSettings
	Factors   []string
	CommandID string
	Error     string
	ErrorLink string
	LinkText  string
	CanEdit   bool
}

func (s *Server) watchSettingsPage(c echo.Context) error {
	set, err := s.db.WatchSettings()
	if err != nil {
		return err
	}
	u, _ := userOf(c)
	return c.Render(http.StatusOK, "watch_settings.html", watchSettingsPage{basePage: s.base(c, "title.watch_settings", "calendar"),
		Settings: set, Factors: store.RiskFactors, CommandID: newCommandID(),
		CanEdit: u.Role == store.RoleAdmin || (u.CanWrite() && u.Scope.Kind == store.ScopeDistrict)})
}

func (s *Server) watchSettingsSubmit(c echo.Context) error {
	u, err := requireBureau(c)
	if err != nil {
		return err
	}
	num := func(name string) int { n, _ := strconv.Atoi(strings.TrimSpace(c.FormValue(name))); return n }
	set := store.WatchSettings{VisitDays: num("visit_days"), SuspectedDays: num("suspected_days"), Cutoff: c.FormValue("cutoff"),
		Tiers: [3]int{num("tier1"), num("tier2"), num("tier3")}, Weights: map[string]int{}}
	for _, f := range store.RiskFactors {
		set.Weights[f] = num("w." + f)
	}
	version, _ := strconv.ParseUint(c.FormValue("version"), 10, 64)
	cmdID := c.FormValue("command_id")
	ch := &store.WatchSettingsChange{WatchSettings: set}
	_, err = s.execute(c, u, write{ID: cmdID, Payload: ch, Version: version,
		Check: func() error { return store.CheckWatchSettings(&ch.WatchSettings) }})
	switch {
	case err == nil:
		s.setFlash(c, "watch_settings_saved")
		return c.Redirect(http.StatusSeeOther, "/settings/watch")
	case asPending(err) != nil:
		s.setFlash(c, "pending")
		return c.Redirect(http.StatusSeeOther, "/settings/watch")
	case asFieldError(err) == nil && asRejected(err) == nil:
		return err
	}
	p := watchSettingsPage{basePage: s.base(c, "title.watch_settings", "calendar"), Settings: set, Factors: store.RiskFactors, CommandID: cmdID, CanEdit: true}
	p.Settings.Version = version
	if rej := asRejected(err); rej != nil {
		p.Error, p.CommandID = rejectionMessage(p.Lang, rej.res), newCommandID()
		p.ErrorLink, p.LinkText = "/settings/watch", translate(p.Lang, "attendance.reload")
	} else {
		p.Error = fieldMessage(p.Lang, asFieldError(err))
	}
	return c.Render(statusOf(err), "watch_settings.html", p)
}

// childWatch is what the child's page shows of the early warning: the
// score and why, the child's suspected-ledger entries, the absences of the
// last 30 days.
type childWatch struct {
	CanEnrol bool           // the fast path: a child not at school may be enrolled at once
	Schools  []store.School // where the user may enrol
	Today    string
	Risk     store.Risk
	Entries  []store.LedgerEntry
	Absences []store.AbsenceRecord
}

func (s *Server) childWatch(u store.User, id string) (*childWatch, error) {
	today := s.today()
	w := &childWatch{Today: today}
	st, err := s.db.GetStudent(u.Scope, id)
	if err != nil {
		return nil, err
	}
	if u.CanWrite() && slices.Contains(store.EnrolFrom, st.Status) {
		schools, err := s.db.Schools("")
		if err != nil {
			return nil, err
		}
		for _, sch := range schools {
			if schoolInScope(u.Scope, sch) {
				w.Schools = append(w.Schools, sch)
			}
		}
		w.CanEnrol = len(w.Schools) > 0
	}
	if w.Risk, err = s.db.RiskOf(u.Scope, id, today); err != nil {
		return nil, err
	}
	if w.Entries, err = s.db.EntriesOf(u.Scope, id); err != nil {
		return nil, err
	}
	if w.Absences, err = s.db.AbsencesOf(u.Scope, id, addDaysUI(today, -30), today); err != nil {
		return nil, err
	}
	return w, nil
}

package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// registerSettingsRoutes: the case settings page (案件设置), for
// administrators only, like PUT /api/v1/settings/cases. The form goes
// through the same command (store.KindCaseSettings).
func (s *Server) registerSettingsRoutes(pages *echo.Group) {
	pages.GET("/settings/cases", s.caseSettingsPage)
	pages.POST("/settings/cases", s.caseSettingsSubmit)
}

// settingField is one of store.CaseSettings as the page shows it. Min and
// Max are the range store.CheckCaseSettings accepts (a test keeps them in
// step); the store's check stays the one that decides.
type settingField struct {
	Name     string // JSON and form name; catalogue keys field.NAME, settings.help.NAME, settings.unit.NAME
	Min, Max int
	value    func(*store.CaseSettings) *int
}

var caseSettingFields = []settingField{
	{Name: "failed_visits", Min: 1, Max: 20, value: func(p *store.CaseSettings) *int { return &p.FailedVisits }},
	{Name: "visit_interval", Min: 1, Max: 90, value: func(p *store.CaseSettings) *int { return &p.VisitInterval }},
	{Name: "watch_days", Min: 1, Max: 1000, value: func(p *store.CaseSettings) *int { return &p.WatchDays }},
}

// settingRow is one setting on the page: its value now, its default and
// what the form shows in its field.
type settingRow struct {
	settingField
	Value   int
	Default int
	Input   string
}

type caseSettingsPage struct {
	basePage
	Settings store.CaseSettings // now: version, who changed them last and when
	Rows     []settingRow
	Version  uint64 // the version the form was made from (a stale edit is a conflict)
	formState
}

func (s *Server) newCaseSettingsPage(c echo.Context) (caseSettingsPage, error) {
	set, err := s.db.CaseSettings()
	if err != nil {
		return caseSettingsPage{}, err
	}
	def := store.DefaultCaseSettings()
	p := caseSettingsPage{basePage: s.base(c, "title.case_settings", "case_settings"), Settings: set, Version: set.Version,
		formState: newFormState()}
	for _, f := range caseSettingFields {
		v := *f.value(&set)
		p.Rows = append(p.Rows, settingRow{settingField: f, Value: v, Default: *f.value(&def), Input: strconv.Itoa(v)})
	}
	return p, nil
}

func (s *Server) caseSettingsPage(c echo.Context) error {
	if _, err := requireAdmin(c); err != nil {
		return err
	}
	p, err := s.newCaseSettingsPage(c)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "case_settings.html", p)
}

// parseCaseSettingsForm reads the form's values: each is required and a
// whole number in its range (full-width digits are accepted). It returns
// the message beside each field that is not.
func parseCaseSettingsForm(lang string, in map[string]string) (store.CaseSettings, map[string]string) {
	var set store.CaseSettings
	errs := map[string]string{}
	for _, f := range caseSettingFields {
		v := strings.Map(func(r rune) rune {
			if r >= '０' && r <= '９' {
				return '0' + (r - '０')
			}
			return r
		}, strings.TrimSpace(in[f.Name]))
		n, err := strconv.Atoi(v)
		switch {
		case v == "":
			errs[f.Name] = translate(lang, "fielderr.required")
		case errors.Is(err, strconv.ErrRange):
			errs[f.Name] = translate(lang, "settings.range_error", f.Min, f.Max)
		case err != nil:
			errs[f.Name] = translate(lang, "fielderr.number")
		case n < f.Min || n > f.Max:
			errs[f.Name] = translate(lang, "settings.range_error", f.Min, f.Max)
		default:
			*f.value(&set) = n
		}
	}
	return set, errs
}

func (s *Server) caseSettingsSubmit(c echo.Context) error {
	u, err := requireAdmin(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	in := map[string]string{}
	for _, f := range caseSettingFields {
		in[f.Name] = form.Get(f.Name)
	}
	cmdID, lang := form.Get("command_id"), langOf(c)
	set, errs := parseCaseSettingsForm(lang, in)
	version, verr := strconv.ParseUint(form.Get("version"), 10, 64)
	if verr != nil || version == 0 {
		errs["version"] = translate(lang, "fielderr.number")
	}
	if len(errs) > 0 {
		return s.redisplayCaseSettings(c, http.StatusBadRequest, in, cmdID, errs, nil)
	}
	// The version the form was made from goes with the change: the register
	// refuses it as a conflict if another administrator changed the settings
	// meanwhile (on any node), rather than undo their change.
	_, err = s.execute(c, u, write{ID: cmdID, Payload: store.CaseSettingsChange{CaseSettings: set}, Version: version,
		Check: func() error { return store.CheckCaseSettings(&set) }})
	next := formNext{Flash: "case_settings_saved", To: "/settings/cases"}
	return s.answerForm(c, err, next, func(status int) error {
		return s.redisplayCaseSettings(c, status, in, cmdID, nil, err)
	})
}

// redisplayCaseSettings shows the form again with what was typed (in) and
// the messages: errs beside fields, or err's.
func (s *Server) redisplayCaseSettings(c echo.Context, status int, in map[string]string, cmdID string, errs map[string]string, err error) error {
	p, lerr := s.newCaseSettingsPage(c)
	if lerr != nil {
		return lerr
	}
	// The form keeps what was typed, except after a conflict: it is made
	// again from the settings now, so that sending it as it is cannot undo
	// the other administrator's change.
	conflict := asRejected(err) != nil && asRejected(err).res.Code == store.CodeConflict
	if !conflict {
		for i := range p.Rows {
			p.Rows[i].Input = in[p.Rows[i].Name]
		}
	}
	switch {
	case len(errs) > 0:
		p.Errors = errs
		if cmdID != "" {
			p.CommandID = cmdID // not submitted: the same command when sent again
		}
		if _, bad := errs["version"]; bad {
			p.Error = translate(p.Lang, "settings.changed")
		}
	case conflict:
		status, p.Error = http.StatusConflict, translate(p.Lang, "settings.changed")
	default:
		names := make([]string, len(caseSettingFields))
		for i, f := range caseSettingFields {
			names[i] = f.Name
		}
		p.failed(p.Lang, names, cmdID, err)
	}
	return c.Render(status, "case_settings.html", p)
}

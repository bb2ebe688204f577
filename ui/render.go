package ui

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

//go:embed templates
var templateFS embed.FS

// Templates shared by every page: the layout and small partials. Every
// other file under templates/ is a page that defines "content".
var sharedTemplates = []string{"templates/layout.html", "templates/partials.html"}

// renderer holds the parsed pages, one set per language: the "t" function
// is bound to its language at parse time, so templates write {{t "key"}}.
// It implements echo.Renderer. Safe for concurrent use.
type renderer struct {
	sets map[string]map[string]*template.Template // lang → page file name → template
}

func newRenderer(a *assets) (*renderer, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	r := &renderer{sets: map[string]map[string]*template.Template{}}
	for _, lang := range []string{langZH, langEN} {
		r.sets[lang] = map[string]*template.Template{}
		funcs := templateFuncs(lang, a)
		for _, f := range files {
			if slices.Contains(sharedTemplates, f) {
				continue
			}
			name := f[len("templates/"):]
			t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, append(slices.Clone(sharedTemplates), f)...)
			if err != nil {
				return nil, err
			}
			if t.Lookup("content") == nil {
				return nil, fmt.Errorf("template %s defines no content", name)
			}
			r.sets[lang][name] = t
		}
	}
	return r, nil
}

// Render executes page name in the request's language (echo v4's Renderer).
func (r *renderer) Render(w io.Writer, name string, data interface{}, c echo.Context) error {
	t, ok := r.sets[langOf(c)][name]
	if !ok {
		return fmt.Errorf("render: no page %q", name)
	}
	return t.ExecuteTemplate(w, "layout", data)
}

// templateFuncs are the functions templates may call, bound to lang.
func templateFuncs(lang string, a *assets) template.FuncMap {
	return template.FuncMap{
		// t translates a catalogue key, formatting it with args.
		"t": func(key string, args ...any) string { return translate(lang, key, args...) },
		// tk translates a code word: {{tk "status" .Status}}.
		"tk":    func(prefix, code string) string { return translateCode(lang, prefix, code) },
		"date":  func(d string) string { return formatDate(lang, d) },
		"time":  func(t time.Time) string { return formatTime(lang, t) },
		"asset": a.url,
		"has":   func(list []string, s string) bool { return slices.Contains(list, s) },
		"inc":   func(i int) int { return i + 1 }, // 1-based row numbers
		// rejection says in words why the register refused a write.
		"rejection": func(code, field, reason string) string {
			return rejectionMessage(lang, store.Result{Code: code, Field: field, Reason: reason})
		},
	}
}

// basePage is embedded in every page: who is logged in, this node's state,
// the language, the CSRF token for forms and a one-time message.
type basePage struct {
	Lang      string
	LangURL   string // this page in the other language
	Title     string
	Nav       string // active menu item
	Wide      bool   // the page uses the window's whole width (wide tables)
	User      *store.User
	ScopeText string
	IsAdmin   bool
	CanWrite  bool
	Node      NodeInfo
	District  string
	CSRF      string
	Flash     string
	RequestID string
	// PendingRecords are the records with changes waiting in this node's
	// outbox, marked in lists and on their pages (sync.go).
	PendingRecords map[string]bool
}

// Context keys set by middleware.
const (
	ctxLang        = "ui.lang"
	ctxUser        = "ui.user"
	ctxToken       = "ui.token"
	ctxBodyDigest  = "ui.body_digest" // a JSON body's SHA-256 (decodeJSON)
	csrfContextKey = "ui.csrf"
	csrfField      = "_csrf"
	langCookie     = "lang"
	flashCookie    = "baoxue_flash"
	sessionCookie  = "baoxue_session"
)

func langOf(c echo.Context) string {
	if l, ok := c.Get(ctxLang).(string); ok {
		return l
	}
	return langZH
}

// userOf returns the logged-in user, set by requireSession or requireBearer.
func userOf(c echo.Context) (store.User, bool) {
	u, ok := c.Get(ctxUser).(store.User)
	return u, ok
}

// language picks the language: ?lang=en|zh (remembered in a cookie), else
// the cookie, else Chinese.
func (s *Server) language(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		lang := langZH
		if ck, err := c.Cookie(langCookie); err == nil && ck.Value == langEN {
			lang = langEN
		}
		// Without a query there is no ?lang= (echo's QueryParam would parse
		// the empty query into a new map).
		if c.Request().URL.RawQuery != "" {
			if q := c.QueryParam("lang"); q == langEN || q == langZH {
				lang = q
				c.SetCookie(&http.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
					HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies})
			}
		}
		c.Set(ctxLang, lang)
		return next(c)
	}
}

// base fills the base page for the request.
func (s *Server) base(c echo.Context, titleKey, nav string) basePage {
	lang := langOf(c)
	p := basePage{
		Lang:      lang,
		Title:     translate(lang, titleKey),
		Nav:       nav,
		Node:      s.rep.Info(),
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID),
	}
	if tok, ok := c.Get(csrfContextKey).(string); ok {
		p.CSRF = tok
	}
	p.PendingRecords = s.cfg.Pending.PendingRecords() // ids only: cheap
	other := langEN
	if lang == langEN {
		other = langZH
	}
	u := url.URL{Path: c.Request().URL.Path}
	if c.Request().Method == http.MethodGet {
		q := c.Request().URL.Query()
		q.Set("lang", other)
		u.RawQuery = q.Encode()
	} else {
		u.RawQuery = "lang=" + other
	}
	p.LangURL = u.String()
	if d, err := s.db.District(); err == nil {
		p.District = d.Name
	}
	if user, ok := userOf(c); ok {
		p.User = &user
		p.IsAdmin = user.Role == store.RoleAdmin
		p.CanWrite = user.CanWrite()
		p.ScopeText = scopeText(lang, user.Scope, s.orgNames())
	}
	if ck, err := c.Cookie(flashCookie); err == nil {
		if k := "flash." + ck.Value; hasMessage(k) {
			p.Flash = translate(lang, k)
		}
		c.SetCookie(&http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true,
			SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies})
	}
	return p
}

// setFlash shows the catalogue message "flash.<key>" on the next page.
func (s *Server) setFlash(c echo.Context, key string) {
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: key, Path: "/", MaxAge: 60, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies})
}

// orgNames maps township and school codes to names (for scopes). Best
// effort: a failed read shows codes.
func (s *Server) orgNames() map[string]string {
	names := map[string]string{}
	if ts, err := s.db.Townships(); err == nil {
		for _, t := range ts {
			names[t.Code] = t.Name
		}
	}
	if ss, err := s.db.Schools(""); err == nil {
		for _, x := range ss {
			names[x.Code] = x.Name
		}
	}
	return names
}

// errorPage shows an error.
type errorPage struct {
	basePage
	Status  int
	Message string
}

// renderError answers err as an HTML page.
func (s *Server) renderError(c echo.Context, status int, err error) error {
	lang := langOf(c)
	p := errorPage{basePage: s.base(c, "title.error", ""), Status: status}
	switch {
	case err == errCSRF:
		p.Message = translate(lang, "error.csrf")
	case errors.Is(err, ErrDiskFull):
		p.Message = translate(lang, "error.disk_full")
	case hasMessage(fmt.Sprintf("error.%d", status)):
		p.Message = translate(lang, fmt.Sprintf("error.%d", status))
	default:
		p.Message = translate(lang, "error.other")
	}
	var bl *bulkLimitError
	if errors.As(err, &bl) {
		p.Message = translate(lang, "error.bulk_limit", int(bl.retry.Seconds()))
	}
	if fe := asFieldError(err); fe != nil {
		p.Message = translateCode(lang, "field", fe.Field) + "：" + fieldMessage(lang, fe)
	}
	if rej := asRejected(err); rej != nil {
		p.Message = rejectionMessage(lang, rej.res)
	}
	return c.Render(status, "error.html", p)
}

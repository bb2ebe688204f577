package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// Taking access away (store/user_access.go): an administrator changes,
// disables and enables a user and resets a password; every user changes
// their own. Users are never deleted (R21). A user whose password was reset
// may do nothing but change it (requireSession, requireBearer).
func (s *Server) registerUserAccessRoutes(pages, api *echo.Group) {
	pages.GET("/users/:username", s.userPage)
	pages.POST("/users/:username", s.userUpdateSubmit)
	pages.POST("/users/:username/password", s.userResetSubmit)
	pages.GET("/password", s.passwordPage)
	pages.POST("/password", s.passwordSubmit)
	api.GET("/users/:username", s.apiUser)
	api.PATCH("/users/:username", s.apiUpdateUser)
	api.POST("/users/:username/password", s.apiUserPassword)
}

// userUpdateRequest changes the fields it has (absent: unchanged). Scope is
// written as for a new user. Version, when not 0, is the user's version
// the administrator saw (the page sends it): another is a 409.
type userUpdateRequest struct {
	Disabled    *bool   `json:"disabled"`
	Role        *string `json:"role"`
	Line        *string `json:"line"`
	Scope       *string `json:"scope"`
	DisplayName *string `json:"display_name"`
	Version     uint64  `json:"version"`
	CommandID   string  `json:"command_id"`
}

// bindForm reads the user page's form, which sends every field; disabled
// is a checkbox.
func (r *userUpdateRequest) bindForm(form url.Values) error {
	for name, dst := range map[string]**string{"role": &r.Role, "line": &r.Line, "scope": &r.Scope, "display_name": &r.DisplayName} {
		if v, ok := form[name]; ok {
			*dst = &v[0]
		}
	}
	d := form.Get("disabled") == "true"
	r.Disabled = &d
	return nil
}

// passwordRequest sets a password: a user's own (the old one required) or,
// by an administrator, another user's (a reset: it must be changed at the
// next login).
type passwordRequest struct {
	Password    string `json:"password"`
	OldPassword string `json:"old_password"`
	CommandID   string `json:"command_id"`
}

// targetUser is the user the URL names, without the hash; ErrNotFound (404).
func (s *Server) targetUser(c echo.Context) (store.User, error) {
	u, err := s.db.User(c.Param("username"))
	u.PasswordHash = ""
	return u, err
}

// updateUser checks an update against the local replica (400: a field, a
// scope naming no unit, an administrator without district scope) and
// submits it. The register refuses a stale version and the last active
// administrator's disabling or demotion (409).
func (s *Server) updateUser(c echo.Context, admin, target store.User, in userUpdateRequest) (store.User, error) {
	p := store.UserUpdate{Username: target.Username, Disabled: in.Disabled, Role: in.Role, Line: in.Line, DisplayName: in.DisplayName}
	if in.Scope != nil {
		sc, err := store.ParseScope(strings.TrimSpace(*in.Scope))
		if err != nil {
			return store.User{}, err
		}
		p.Scope = &sc
	}
	if err := store.Check(&p); err != nil {
		return store.User{}, err
	}
	_, err := s.execute(c, admin, write{ID: in.CommandID, Payload: &p, Version: in.Version, Check: func() error {
		u := p.Updated(target)
		if err := store.CheckUser(&u); err != nil {
			return err
		}
		if p.Scope != nil {
			return s.db.CheckScope(*p.Scope)
		}
		return nil
	}})
	if err != nil {
		return store.User{}, err
	}
	return s.targetUser(c)
}

// resetPassword sets another user's password, which they must change at
// their next login; their sessions end. An administrator changes their
// own password as everyone does, with the old one.
func (s *Server) resetPassword(c echo.Context, admin, target store.User, in passwordRequest) error {
	if target.Username == admin.Username {
		return &store.FieldError{Field: "password", Code: "own", Message: "change your own password with the old one (POST /api/v1/users/{you}/password with old_password, or the password page)"}
	}
	if err := store.ValidatePassword(in.Password); err != nil {
		return err
	}
	h, err := store.HashPassword(in.Password)
	if err != nil {
		return err
	}
	p := store.UserPasswordReset{Username: target.Username, Hash: h}
	_, err = s.execute(c, admin, write{ID: in.CommandID, Payload: &p, Check: func() error { return store.Check(&p) }})
	return err
}

// changeOwnPassword checks the old password (slowed like a login), submits
// the new one and, once applied here, starts a session in the user's new
// session epoch (the one in use ends with the change) and returns its
// token.
func (s *Server) changeOwnPassword(c echo.Context, u store.User, in passwordRequest) (string, error) {
	full, err := s.db.User(u.Username)
	if err != nil {
		return "", err
	}
	switch {
	case in.OldPassword == "":
		return "", &store.FieldError{Field: "old_password", Code: "required", Message: "the old password is required"}
	case in.Password == in.OldPassword:
		return "", &store.FieldError{Field: "password", Code: "same", Message: "the new password must differ from the old one"}
	}
	if err := store.ValidatePassword(in.Password); err != nil {
		return "", err
	}
	if err := s.checkOldPassword(c, full, in.OldPassword); err != nil {
		return "", err
	}
	h, err := store.HashPassword(in.Password)
	if err != nil {
		return "", err
	}
	p := store.UserPassword{Username: full.Username, Previous: store.HashFingerprint(full.PasswordHash), Hash: h}
	if _, err := s.execute(c, u, write{ID: in.CommandID, Payload: &p, Check: func() error { return store.Check(&p) }}); err != nil {
		return "", err
	}
	now, err := s.db.User(u.Username)
	if err != nil {
		return "", err
	}
	return s.sessions.create(now, s.now())
}

// checkOldPassword checks a user's password as a login does: counted and
// slowed by the login guard, so a session left open cannot be used to
// guess it.
func (s *Server) checkOldPassword(c echo.Context, u store.User, pw string) error {
	keys := guardKeys(u.Username, c.Request().RemoteAddr)
	if d := s.guard.wait(keys, s.now()); d > 0 {
		return &loginThrottled{retry: d}
	}
	release, err := s.guard.slot(c.Request().Context())
	if err != nil {
		return err
	}
	ok := store.CheckPassword(u.PasswordHash, pw)
	release()
	if !ok {
		s.guard.failed(keys, s.now())
		return &store.FieldError{Field: "old_password", Code: "wrong", Message: "the old password is wrong"}
	}
	return nil
}

// ---- API ----

func (s *Server) apiUser(c echo.Context) error {
	if _, err := requireAdmin(c); err != nil {
		return err
	}
	u, err := s.targetUser(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (s *Server) apiUpdateUser(c echo.Context) error {
	admin, err := requireAdmin(c)
	if err != nil {
		return err
	}
	target, err := s.targetUser(c)
	if err != nil {
		return err
	}
	var in userUpdateRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	u, err := s.updateUser(c, admin, target, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

// apiUserPassword: {"password","old_password","command_id"}. One's own:
// the old password is required, and the answer is {"token"} of a new
// session (the one used ends). Another's (administrators): a reset,
// answered with the user.
func (s *Server) apiUserPassword(c echo.Context) error {
	u, ok := userOf(c)
	if !ok {
		return errUnauthenticated
	}
	own := c.Param("username") == u.Username
	if !own && u.Role != store.RoleAdmin {
		return errForbidden
	}
	target, err := s.targetUser(c)
	if err != nil {
		return err
	}
	var in passwordRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	if own {
		token, err := s.changeOwnPassword(c, u, in)
		if err != nil {
			return err
		}
		if err := s.sessions.delete(c.Get(ctxToken).(string)); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]string{"token": token})
	}
	if err := s.resetPassword(c, u, target, in); err != nil {
		return err
	}
	if target, err = s.targetUser(c); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, target)
}

// ---- pages ----

type userPage struct {
	basePage
	Target userRow
	In     userForm
	Roles  []string
	Lines  []string
	formState
	Reset formState // the reset form's
	Own   bool      // the administrator's own account: no reset, no disabling here
	Audit []auditRow
}

// userForm is what the user page's form shows.
type userForm struct {
	DisplayName, Role, Line, Scope string
	Disabled                       bool
	Version                        uint64
}

var userUpdateFields = []string{"display_name", "role", "line", "scope", "disabled"}

func (s *Server) newUserPage(c echo.Context, admin, target store.User) (userPage, error) {
	entries, err := s.db.UserAudit(target.Username)
	if err != nil {
		return userPage{}, err
	}
	p := userPage{basePage: s.base(c, "title.user", "users"), Roles: store.Roles,
		Lines:  []string{store.LineEducation, store.LineGovernment},
		Target: userRow{User: target, Scope: scopeText(langOf(c), target.Scope, s.orgNames())},
		In: userForm{DisplayName: target.DisplayName, Role: target.Role, Line: target.Line, Scope: target.Scope.String(),
			Disabled: target.Disabled, Version: target.Version},
		formState: newFormState(), Reset: newFormState(), Own: admin.Username == target.Username}
	p.Audit = auditRows(p.Lang, orgTree{names: s.orgNames()}, entries)
	slices.Reverse(p.Audit) // newest first
	return p, nil
}

// adminAndTarget is the start of every user page handler.
func (s *Server) adminAndTarget(c echo.Context) (store.User, store.User, error) {
	admin, err := requireAdmin(c)
	if err != nil {
		return admin, store.User{}, err
	}
	target, err := s.targetUser(c)
	return admin, target, err
}

func (s *Server) userPage(c echo.Context) error {
	admin, target, err := s.adminAndTarget(c)
	if err != nil {
		return err
	}
	p, err := s.newUserPage(c, admin, target)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "user.html", p)
}

func (s *Server) userUpdateSubmit(c echo.Context) error {
	admin, target, err := s.adminAndTarget(c)
	if err != nil {
		return err
	}
	var in userUpdateRequest
	if err = bind(c, &in); err == nil {
		_, err = s.updateUser(c, admin, target, in)
	}
	to := "/users/" + url.PathEscape(target.Username)
	return s.answerForm(c, err, formNext{Flash: "user_updated", To: to}, func(status int) error {
		p, lerr := s.newUserPage(c, admin, target)
		if lerr != nil {
			return lerr
		}
		p.In = userForm{DisplayName: deref(in.DisplayName), Role: deref(in.Role), Line: deref(in.Line), Scope: deref(in.Scope),
			Disabled: in.Disabled != nil && *in.Disabled, Version: in.Version}
		p.failed(p.Lang, userUpdateFields, in.CommandID, err)
		return c.Render(status, "user.html", p)
	})
}

func (s *Server) userResetSubmit(c echo.Context) error {
	admin, target, err := s.adminAndTarget(c)
	if err != nil {
		return err
	}
	var in passwordRequest
	if err = bind(c, &in); err == nil {
		err = s.resetPassword(c, admin, target, in)
	}
	to := "/users/" + url.PathEscape(target.Username)
	return s.answerForm(c, err, formNext{Flash: "password_reset", To: to}, func(status int) error {
		p, lerr := s.newUserPage(c, admin, target)
		if lerr != nil {
			return lerr
		}
		p.Reset.failed(p.Lang, []string{"password"}, in.CommandID, err)
		return c.Render(status, "user.html", p)
	})
}

type passwordPage struct {
	basePage
	Must bool // the password was reset: nothing else until it is changed
	formState
}

func (s *Server) passwordPage(c echo.Context) error {
	u, _ := userOf(c)
	p := passwordPage{basePage: s.base(c, "title.password", ""), Must: u.MustChangePassword, formState: newFormState()}
	return c.Render(http.StatusOK, "password.html", p)
}

func (s *Server) passwordSubmit(c echo.Context) error {
	u, _ := userOf(c)
	var in passwordRequest
	err := bind(c, &in)
	var token string
	switch {
	case err != nil:
	case c.FormValue("confirm") != in.Password:
		err = &store.FieldError{Field: "confirm", Code: "mismatch", Message: "the two new passwords differ"}
	default:
		token, err = s.changeOwnPassword(c, u, in)
	}
	if err == nil {
		if ck, cerr := c.Cookie(sessionCookie); cerr == nil {
			if derr := s.sessions.delete(ck.Value); derr != nil {
				return derr
			}
		}
		s.setSessionCookie(c, token)
	}
	return s.answerForm(c, err, formNext{Flash: "password_changed", To: "/students"}, func(status int) error {
		p := passwordPage{basePage: s.base(c, "title.password", ""), Must: u.MustChangePassword, formState: newFormState()}
		p.failed(p.Lang, []string{"old_password", "password", "confirm"}, in.CommandID, err)
		return c.Render(status, "password.html", p)
	})
}

// setSessionCookie hands the browser a session.
func (s *Server) setSessionCookie(c echo.Context, token string) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: token, Path: "/", MaxAge: int(sessionTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies})
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

package ui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// registerAuthRoutes: the login page and form, logout, and the API's token
// login. pages carries CSRF protection; api has no authentication;
// apiAuth requires a bearer token.
func (s *Server) registerAuthRoutes(pages, api, apiAuth *echo.Group) {
	pages.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/students") })
	pages.GET("/login", s.loginPage)
	pages.POST("/login", s.loginSubmit)
	pages.POST("/logout", s.logoutSubmit)
	api.POST("/login", s.apiLogin)
	apiAuth.POST("/logout", s.apiLogout)
}

type loginPage struct {
	basePage
	Username string
	Next     string
	Error    string
}

func (s *Server) loginPage(c echo.Context) error {
	p := loginPage{basePage: s.base(c, "title.login", ""), Next: safeNext(c.QueryParam("next"))}
	return c.Render(http.StatusOK, "login.html", p)
}

func (s *Server) loginSubmit(c echo.Context) error {
	username, password := strings.TrimSpace(c.FormValue("username")), c.FormValue("password")
	next := safeNext(c.FormValue("next"))
	token, err := s.login(c.Request().Context(), username, password, c.Request().RemoteAddr)
	var th *loginThrottled
	if errors.Is(err, errBadCredentials) || errors.Is(err, errDisabled) || errors.As(err, &th) {
		p := loginPage{basePage: s.base(c, "title.login", ""), Username: username, Next: next,
			Error: translate(langOf(c), "login.failed")}
		status := http.StatusUnauthorized
		if errors.Is(err, errDisabled) {
			status, p.Error = http.StatusForbidden, translate(langOf(c), "login.disabled")
		}
		if th != nil {
			status, p.Error = http.StatusTooManyRequests, translate(langOf(c), "login.throttled", retrySeconds(th.retry))
			c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(retrySeconds(th.retry)))
		}
		return c.Render(status, "login.html", p)
	}
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	return c.Redirect(http.StatusSeeOther, next)
}

func (s *Server) logoutSubmit(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if err := s.sessions.delete(ck.Value); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies})
	s.setFlash(c, "logged_out")
	return c.Redirect(http.StatusSeeOther, "/login")
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *Server) apiLogin(c echo.Context) error {
	var in loginRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	token, err := s.login(c.Request().Context(), strings.TrimSpace(in.Username), in.Password, c.Request().RemoteAddr)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"token": token})
}

func (s *Server) apiLogout(c echo.Context) error {
	tok, _ := c.Get(ctxToken).(string)
	if err := s.sessions.delete(tok); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// login checks a username and password against the register and starts a
// session. Unknown user and wrong password are the same errBadCredentials,
// take the same time and are counted alike by the guard (login_guard.go),
// which refuses a try while the username or the client address (addr, the
// connection's: never a header a client can set) must wait, with
// *loginThrottled. A hash of an older kind is upgraded after the password
// matched (user.rehash).
func (s *Server) login(ctx context.Context, username, password, addr string) (string, error) {
	if _, err := s.db.District(); errors.Is(err, store.ErrNotFound) {
		return "", errNotReady // not counted: no password was wrong
	}
	keys := guardKeys(username, addr)
	if d := s.guard.wait(keys, s.now()); d > 0 {
		return "", &loginThrottled{retry: d}
	}
	release, err := s.guard.slot(ctx)
	if err != nil {
		return "", err
	}
	u, err := s.db.User(username)
	ok := false
	switch {
	case errors.Is(err, store.ErrNotFound) || username == "":
		store.CheckPassword(s.dummyHash, password)
	case err != nil:
		release()
		return "", err
	default:
		ok = store.CheckPassword(u.PasswordHash, password)
		if ok && store.NeedsRehash(u.PasswordHash) && !u.Disabled {
			s.rehash(u, password)
		}
	}
	release()
	if !ok || u.Disabled {
		// A disabled account is counted as a failure too, and said to be
		// disabled only to whoever knows its password.
		s.guard.failed(keys, s.now())
		if ok {
			return "", errDisabled
		}
		return "", errBadCredentials
	}
	s.guard.succeeded(username)
	return s.sessions.create(u, s.now())
}

// rehash queues user.rehash: u's password, just checked, hashed again with
// the current parameters. The login does not wait for it; if it cannot be
// queued, the next login tries again.
func (s *Server) rehash(u store.User, password string) {
	h, err := store.HashPassword(password)
	if err == nil {
		var cmd store.Command
		cmd, err = store.NewCommand(newCommandID(), store.Actor{User: u.Username, Role: u.Role, Node: s.cfg.NodeID},
			store.UserRehash{Username: u.Username, Previous: store.HashFingerprint(u.PasswordHash), Hash: h})
		if err == nil {
			err = s.cfg.Queue.Enqueue(cmd)
		}
	}
	if err != nil {
		s.log.Warn("upgrade password hash", "user", u.Username, "err", err)
	}
}

// userFor finds the user of a session token in this node's replica of the
// register, on every request (a read of one record). errUnauthenticated
// when the token is unknown or expired, the user is gone or disabled, or
// the session began before the user's password changed or the user was
// disabled (SessionEpoch): so a user's sessions end on every node once it
// has applied the change. A void session is deleted.
func (s *Server) userFor(token string) (store.User, error) {
	sess, err := s.sessions.lookup(token, s.now())
	if errors.Is(err, errNoSession) {
		return store.User{}, errUnauthenticated
	}
	if err != nil {
		return store.User{}, err
	}
	u, err := s.db.User(sess.Username)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && (u.Disabled || u.SessionEpoch != sess.Epoch):
		if err := s.sessions.delete(token); err != nil {
			s.log.Warn("end a void session", "err", err)
		}
		return store.User{}, errUnauthenticated
	case err != nil:
		return store.User{}, err
	}
	u.PasswordHash = ""
	return u, nil
}

// requireSession lets a request through with a valid session cookie and
// sends the browser to the login page otherwise.
func (s *Server) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		var token string
		if ck, err := c.Cookie(sessionCookie); err == nil {
			token = ck.Value
		}
		u, err := s.userFor(token)
		if errors.Is(err, errUnauthenticated) {
			if c.Request().Method != http.MethodGet {
				return errUnauthenticated
			}
			return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		if err != nil {
			return err
		}
		c.Set(ctxUser, u)
		if u.MustChangePassword && !passwordChangeRoute(c, u) {
			if c.Request().Method == http.MethodGet {
				return c.Redirect(http.StatusSeeOther, "/password")
			}
			return errMustChangePassword
		}
		return next(c)
	}
}

// requireBearer lets an API request through with a valid
// "Authorization: Bearer TOKEN"; cookies are not accepted on the API, so it
// needs no CSRF protection.
func (s *Server) requireBearer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return errUnauthenticated
		}
		token = strings.TrimSpace(token)
		u, err := s.userFor(token)
		if err != nil {
			return err
		}
		c.Set(ctxUser, u)
		c.Set(ctxToken, token)
		if u.MustChangePassword && !passwordChangeRoute(c, u) {
			return errMustChangePassword
		}
		return next(c)
	}
}

// requireAdmin refuses users other than administrators.
func requireAdmin(c echo.Context) (store.User, error) {
	u, ok := userOf(c)
	if !ok {
		return u, errUnauthenticated
	}
	if u.Role != store.RoleAdmin {
		return u, errForbidden
	}
	return u, nil
}

// requireWriter refuses users who may only read.
func requireWriter(c echo.Context) (store.User, error) {
	u, ok := userOf(c)
	if !ok {
		return u, errUnauthenticated
	}
	if !u.CanWrite() {
		return u, errForbidden
	}
	return u, nil
}

// safeNext keeps a post-login redirect on this site: only an absolute
// path ("/x…") is accepted. Not "//host" or "/\host" (browsers read both as
// another host), nothing with a backslash, space or control character
// anywhere (browsers drop tabs and newlines, so "/\t/host" becomes
// "//host"), and nothing url.Parse reads with a scheme or host.
func safeNext(next string) string {
	const home = "/students"
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return home
	}
	for _, r := range next {
		if r <= ' ' || r == '\\' || r == 0x7f || unicode.IsSpace(r) || unicode.IsControl(r) {
			return home
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return home
	}
	return next
}

// passwordChangeRoute reports whether the request is one a user who must
// change their password may make: the change itself (page or API, their
// own) and logging out.
func passwordChangeRoute(c echo.Context, u store.User) bool {
	switch c.Path() {
	case "/password", "/logout", "/api/v1/logout":
		return true
	case "/api/v1/users/:username/password":
		return c.Param("username") == u.Username
	}
	return false
}

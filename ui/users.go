package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// registerUserRoutes: users, for administrators only. Password hashes never
// leave the register.
func (s *Server) registerUserRoutes(pages, api *echo.Group) {
	pages.GET("/users", s.usersPage)
	pages.POST("/users", s.usersSubmit)
	api.GET("/users", s.apiUsers)
	api.POST("/users", s.apiCreateUser)
}

// userRequest creates a user. Scope is written district, township:CODE,
// school:CODE or class:SCHOOL/GRADE/CLASS.
type userRequest struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	Line        string `json:"line"`
	Scope       string `json:"scope"`
	CommandID   string `json:"command_id"`
}

// userCommand checks a user request and builds the payload, with the
// password hashed here: no password enters the log.
func userCommand(in userRequest) (store.UserCreate, error) {
	u := store.User{Username: in.Username, DisplayName: in.DisplayName,
		Role: strings.TrimSpace(in.Role), Line: strings.TrimSpace(in.Line)}
	switch {
	case strings.TrimSpace(u.Username) == "":
		return store.UserCreate{}, &store.FieldError{Field: "username", Code: "required", Message: "username is required"}
	}
	if err := store.ValidatePassword(in.Password); err != nil {
		return store.UserCreate{}, err
	}
	sc, err := store.ParseScope(strings.TrimSpace(in.Scope))
	if err != nil {
		return store.UserCreate{}, err
	}
	u.Scope = sc
	if err := store.CheckUser(&u); err != nil {
		return store.UserCreate{}, err
	}
	if u.PasswordHash, err = store.HashPassword(in.Password); err != nil {
		return store.UserCreate{}, fmt.Errorf("hash password: %w", err)
	}
	return store.UserCreate{User: u}, nil
}

func (s *Server) createUser(c echo.Context, admin store.User, in userRequest) (store.User, error) {
	p, err := userCommand(in)
	if err != nil {
		return store.User{}, err
	}
	r, err := s.execute(c, admin, write{ID: in.CommandID, Payload: p,
		Check: func() error { return s.db.CheckScope(p.User.Scope) }})
	if err != nil {
		return store.User{}, err
	}
	u, err := s.db.User(r.RecordID)
	if errors.Is(err, store.ErrNotFound) {
		u = p.User // not applied on this replica yet
	} else if err != nil {
		return store.User{}, err
	}
	u.PasswordHash = ""
	return u, nil
}

func (s *Server) apiCreateUser(c echo.Context) error {
	admin, err := requireAdmin(c)
	if err != nil {
		return err
	}
	var in userRequest
	if err := bind(c, &in); err != nil {
		return err
	}
	u, err := s.createUser(c, admin, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, u)
}

func (s *Server) apiUsers(c echo.Context) error {
	if _, err := requireAdmin(c); err != nil {
		return err
	}
	l, err := s.db.Users()
	for i := range l {
		l[i].PasswordHash = "" // the register leaves them out; be sure
	}
	return listJSON(c, l, err)
}

// ---- page ----

type usersPage struct {
	basePage
	Users []userRow
	Roles []string
	Lines []string
	In    userRequest
	formState
}

type userRow struct {
	store.User
	Scope string
}

var userFormFields = []string{"username", "password", "display_name", "role", "line", "scope"}

func (s *Server) newUsersPage(c echo.Context) (usersPage, error) {
	users, err := s.db.Users()
	if err != nil {
		return usersPage{}, err
	}
	p := usersPage{basePage: s.base(c, "title.users", "users"), Roles: store.Roles,
		Lines:     []string{store.LineEducation, store.LineGovernment},
		In:        userRequest{Role: store.RoleTeacher, Line: store.LineEducation},
		formState: newFormState()}
	names := s.orgNames()
	for _, u := range users {
		u.PasswordHash = ""
		p.Users = append(p.Users, userRow{User: u, Scope: scopeText(p.Lang, u.Scope, names)})
	}
	return p, nil
}

func (s *Server) usersPage(c echo.Context) error {
	if _, err := requireAdmin(c); err != nil {
		return err
	}
	p, err := s.newUsersPage(c)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "users.html", p)
}

func (s *Server) usersSubmit(c echo.Context) error {
	admin, err := requireAdmin(c)
	if err != nil {
		return err
	}
	var in userRequest
	if err = bind(c, &in); err == nil {
		_, err = s.createUser(c, admin, in)
	}
	return s.answerForm(c, err, formNext{Flash: "user_created", To: "/users"}, func(status int) error {
		p, lerr := s.newUsersPage(c)
		if lerr != nil {
			return lerr
		}
		in.Password = "" // never sent back
		p.In = in
		p.failed(p.Lang, userFormFields, in.CommandID, err)
		return c.Render(status, "users.html", p)
	})
}

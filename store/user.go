package store

import (
	"errors"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// KindUserCreate adds a user (administrators only).
const KindUserCreate = "user.create"

// UserCreate adds a user. Scope is in its written form.
type UserCreate struct {
	User User `json:"user"`
}

// Kind names the payload's command kind (Payload).
func (UserCreate) Kind() string { return KindUserCreate }

var _ = register(kindSpec[UserCreate]{Who: Admin, Nodes: BureauNode, Check: checkUserCreate, Target: noTarget[UserCreate], Apply: applyUserCreate})

func checkUserCreate(p *UserCreate) error { return checkUser(&p.User) }

// checkUser checks a user's fields apart from references, and that a
// password hash (never a password) came with them.
func checkUser(u *User) error {
	if err := CheckUser(u); err != nil {
		return err
	}
	if !strings.HasPrefix(u.PasswordHash, "pbkdf2-sha256$") && !IsArgon2idHash(u.PasswordHash) {
		return fieldErr("password", "required", "password hash missing")
	}
	return nil
}

func applyUserCreate(a *applyCtx, p *UserCreate) error {
	u := p.User
	if err := checkUser(&u); err != nil {
		return invalid(err)
	}
	if err := checkUserScope(a, u.Scope); err != nil {
		return err
	}
	users := a.tx.Bucket(bucketUsers)
	if other := usernameTaken(users, u.Username); other != "" {
		return reject(CodeDuplicate, "user "+other+" already exists").on("username").existing(other)
	}
	u.CreatedAt, u.Version, u.SessionEpoch = a.at, 1, 0
	a.done("user:"+u.Username, u.Username, 0, []Change{{Field: "role", To: u.Role}, {Field: "line", To: u.Line}, {Field: "scope", To: u.Scope.String()}})
	return putUser(a, u)
}

// putUser writes a user account: every command that changes one writes it
// here, so that the transaction knows (getter.usersChanged).
func putUser(a *applyCtx, u User) error {
	if a.g != nil {
		a.g.usersChanged = true
	}
	return putJSON(a.tx.Bucket(bucketUsers), []byte(u.Username), u)
}

// CheckScope checks, on this replica, that the township, school or class
// a scope names exists, as the register does for a new user. Errors:
// *FieldError on field scope, ErrClosed.
func (db *DB) CheckScope(sc Scope) error {
	return db.view(func(tx *bolt.Tx) error {
		var rj *rejection
		if errors.As(checkUserScope(&applyCtx{tx: tx}, sc), &rj) {
			return fieldErr("scope", rj.Code, rj.Reason)
		}
		return nil
	})
}

// checkUserScope checks that a user's scope names a township or school (and
// a grade of it) on the register.
func checkUserScope(a *applyCtx, sc Scope) error {
	switch sc.Kind {
	case ScopeDistrict:
	case ScopeTownship:
		if !exists(a, bucketTownships, sc.Code) {
			return reject(CodeNotFound, "no township "+strconv.Quote(sc.Code)).on("scope")
		}
	case ScopeSchool, ScopeClass:
		var s School
		if !getJSON(a.tx.Bucket(bucketSchools), []byte(sc.Code), &s) {
			return reject(CodeNotFound, "no school "+strconv.Quote(sc.Code)).on("scope")
		}
		if lo, hi := GradeRange(s.Type); sc.Kind == ScopeClass && (sc.Grade < lo || sc.Grade > hi) {
			return reject(CodeInvalid, "school "+s.Code+" has no grade "+strconv.Itoa(sc.Grade)).on("scope")
		}
	default:
		return reject(CodeInvalid, "unknown scope").on("scope")
	}
	return nil
}

package store

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Taking access away (invariant 32). An administrator changes a user's
// display name, role, line and scope, disables or enables the user
// (user.update), and resets a password (user.password_reset); a user
// changes their own password (user.password). Users are never deleted
// (R21): an account made by mistake is disabled. Disabling and any new
// password move the user's SessionEpoch on, which ends the user's sessions
// on every node once it has applied the change (ui checks the register's
// record on each request).

// Command kinds of this file.
const (
	KindUserUpdate        = "user.update"
	KindUserPassword      = "user.password"
	KindUserPasswordReset = "user.password_reset"
)

// UserUpdate changes the fields it names (nil: unchanged) of one user.
// Command.Version, when not 0, must be the user's version: an
// administrator's stale page is a conflict. Without one, each field named
// is set as given, in log order.
type UserUpdate struct {
	Username    string  `json:"username"`
	DisplayName *string `json:"display_name,omitempty"`
	Role        *string `json:"role,omitempty"`
	Line        *string `json:"line,omitempty"`
	Scope       *Scope  `json:"scope,omitempty"`
	Disabled    *bool   `json:"disabled,omitempty"`
}

// UserPassword is a user's change of their own password. The node checked
// the old password; Previous is the HashFingerprint of the hash it was
// checked against, so a password reset or changed in between makes the
// change a conflict.
type UserPassword struct {
	Username string `json:"username"`
	Previous string `json:"previous"`
	Hash     string `json:"hash"` // Argon2id, never the password
}

// UserPasswordReset is an administrator's new password for a user, who
// must change it at the next login.
type UserPasswordReset struct {
	Username string `json:"username"`
	Hash     string `json:"hash"` // Argon2id, never the password
}

// Kind names the payload's command kind (Payload).
func (UserUpdate) Kind() string { return KindUserUpdate }

// Kind names the payload's command kind (Payload).
func (UserPassword) Kind() string { return KindUserPassword }

// Kind names the payload's command kind (Payload).
func (UserPasswordReset) Kind() string { return KindUserPasswordReset }

var (
	_ = register(kindSpec[UserUpdate]{Who: Admin, Nodes: BureauNode, Check: CheckUserUpdate, Target: noTarget[UserUpdate], Apply: applyUserUpdate})
	// Any active user may change their own password (apply checks whose);
	// a township node only for its township's users, as user.rehash: a
	// district user's password is changed at a bureau node.
	_ = register(kindSpec[UserPassword]{Who: Reader, Nodes: TownshipNode, Check: checkUserPassword, Target: noTarget[UserPassword], Apply: applyUserPassword})
	_ = register(kindSpec[UserPasswordReset]{Who: Admin, Nodes: BureauNode, Check: checkUserPasswordReset, Target: noTarget[UserPasswordReset], Apply: applyUserPasswordReset})
)

// CheckUserUpdate trims and checks an update on its own: a username, at
// least one field, and each field named in its form. Whether the whole
// user is right (an administrator's district scope) and the scope's unit
// exists is checked against the register. Errors are *FieldError.
func CheckUserUpdate(p *UserUpdate) error {
	p.Username = strings.TrimSpace(p.Username)
	if !isCode(p.Username) {
		return fieldErr("username", "format", "username must be 1 to 32 letters, digits, - or _")
	}
	if p.DisplayName == nil && p.Role == nil && p.Line == nil && p.Scope == nil && p.Disabled == nil {
		return fieldErr("", "required", "nothing to change: give disabled, role, line, scope or display_name")
	}
	if p.DisplayName != nil {
		if err := cleanText(p.DisplayName, "display_name", 30, false); err != nil {
			return err
		}
	}
	if p.Role != nil {
		if *p.Role = strings.TrimSpace(*p.Role); !slices.Contains(Roles, *p.Role) {
			return fieldErr("role", "format", "role must be one of "+strings.Join(Roles, ", "))
		}
	}
	if p.Line != nil {
		if *p.Line = strings.TrimSpace(*p.Line); *p.Line != LineEducation && *p.Line != LineGovernment {
			return fieldErr("line", "format", "line must be education or government")
		}
	}
	return nil
}

// Updated is u with the update's fields applied (not checked).
func (p UserUpdate) Updated(u User) User {
	if p.DisplayName != nil {
		u.DisplayName = *p.DisplayName
	}
	if p.Role != nil {
		u.Role = *p.Role
	}
	if p.Line != nil {
		u.Line = *p.Line
	}
	if p.Scope != nil {
		u.Scope = *p.Scope
	}
	if p.Disabled != nil {
		u.Disabled = *p.Disabled
	}
	return u
}

func applyUserUpdate(a *applyCtx, p *UserUpdate) error {
	if err := CheckUserUpdate(p); err != nil {
		return invalid(err)
	}
	old, err := targetUser(a, p.Username)
	if err != nil {
		return err
	}
	if v := a.e.Command.Version; v != 0 && v != max(old.Version, 1) {
		return reject(CodeConflict, "user "+old.Username+" was changed by someone else (you saw version "+
			strconv.FormatUint(v, 10)+", it is now "+strconv.FormatUint(max(old.Version, 1), 10)+")").on("version")
	}
	u := p.Updated(old)
	if err := CheckUser(&u); err != nil {
		return invalid(err)
	}
	if u.Scope != old.Scope {
		if err := checkUserScope(a, u.Scope); err != nil {
			return err
		}
	}
	if err := keepAnAdmin(a, old, u); err != nil {
		return err
	}
	changes := userChanges(old, u)
	if len(changes) > 0 {
		u.Version = max(old.Version, 1) + 1
	}
	if u.Disabled && !old.Disabled {
		u.SessionEpoch++ // its sessions end on every node
	}
	a.done("user:"+u.Username, u.Username, max(u.Version, 1), changes)
	return putUser(a, u)
}

// targetUser reads the user a command names, or refuses it on username.
func targetUser(a *applyCtx, name string) (User, error) {
	var u User
	if !getJSON(a.tx.Bucket(bucketUsers), []byte(name), &u) {
		return u, reject(CodeNotFound, "no user "+strconv.Quote(name)).on("username")
	}
	return u, nil
}

// activeAdmin: a district administrator who may log in.
func activeAdmin(u User) bool { return u.Role == RoleAdmin && !u.Disabled }

// keepAnAdmin refuses an update that would leave the district without an
// active administrator: nobody could then manage users or enable one again.
func keepAnAdmin(a *applyCtx, old, u User) error {
	if !activeAdmin(old) || activeAdmin(u) {
		return nil
	}
	others := false
	err := a.tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
		var o User
		if string(k) != old.Username && json.Unmarshal(v, &o) == nil && activeAdmin(o) {
			others = true
		}
		return nil
	})
	if err != nil || others {
		return err
	}
	field, what := "disabled", "disabled"
	if u.Role != RoleAdmin {
		field, what = "role", "given another role"
	}
	return reject(CodeState, "user "+old.Username+" is the last active district administrator and cannot be "+what).on(field)
}

// userChanges lists the fields an update changed, for the audit.
func userChanges(old, u User) []Change {
	var out []Change
	add := func(field, from, to string) {
		if from != to {
			out = append(out, Change{Field: field, From: from, To: to})
		}
	}
	add("display_name", old.DisplayName, u.DisplayName)
	add("role", old.Role, u.Role)
	add("line", old.Line, u.Line)
	add("scope", old.Scope.String(), u.Scope.String())
	add("disabled", strconv.FormatBool(old.Disabled), strconv.FormatBool(u.Disabled))
	return out
}

// checkNewHash checks that a new password came hashed with Argon2id.
func checkNewHash(username *string, hash string) error {
	*username = strings.TrimSpace(*username)
	if !isCode(*username) {
		return fieldErr("username", "format", "username must be 1 to 32 letters, digits, - or _")
	}
	if !IsArgon2idHash(hash) {
		return fieldErr("hash", "format", "hash must be an Argon2id hash")
	}
	return nil
}

func checkUserPassword(p *UserPassword) error { return checkNewHash(&p.Username, p.Hash) }

func checkUserPasswordReset(p *UserPasswordReset) error { return checkNewHash(&p.Username, p.Hash) }

func applyUserPassword(a *applyCtx, p *UserPassword) error {
	if err := checkUserPassword(p); err != nil {
		return invalid(err)
	}
	if p.Username != a.actor.Username {
		return reject(CodeForbidden, "a user may change only their own password; an administrator resets another's").on("username")
	}
	if HashFingerprint(a.actor.PasswordHash) != p.Previous {
		return reject(CodeConflict, "the password was changed or reset since the old one was checked").on("old_password")
	}
	return setPassword(a, a.actor, p.Hash, false, "changed")
}

func applyUserPasswordReset(a *applyCtx, p *UserPasswordReset) error {
	if err := checkUserPasswordReset(p); err != nil {
		return invalid(err)
	}
	u, err := targetUser(a, p.Username)
	if err != nil {
		return err
	}
	return setPassword(a, u, p.Hash, true, "reset")
}

// setPassword writes u's new hash, whether it must be changed at the next
// login, and a new session epoch. The audit says what happened, never the
// hash.
func setPassword(a *applyCtx, u User, hash string, mustChange bool, what string) error {
	changes := []Change{{Field: "password", To: what}}
	if u.MustChangePassword != mustChange {
		changes = append(changes, Change{Field: "must_change_password", From: strconv.FormatBool(u.MustChangePassword), To: strconv.FormatBool(mustChange)})
	}
	u.PasswordHash, u.MustChangePassword = hash, mustChange
	u.SessionEpoch++
	a.done("user:"+u.Username, u.Username, max(u.Version, 1), changes)
	return putUser(a, u)
}

// UserAudit returns the audit entries about a user (created, changed,
// passwords set, hashes upgraded, bulk reads), oldest first. Errors:
// ErrClosed.
func (db *DB) UserAudit(username string) ([]AuditEntry, error) {
	var out []AuditEntry
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		out, err = auditFor(tx, "user:"+username)
		return err
	})
	return out, err
}

package store

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

// An administrator changes a user's fields, disables and enables them and
// resets a password; a user changes their own. Each change is versioned
// where an administrator's page could be stale, ends the user's sessions
// where access is taken away, and is audited without a hash.
func TestUserUpdateAndPasswords(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	up := func(actor string, version uint64, p UserUpdate) Result {
		c := cmd(t, actor, KindUserUpdate, p)
		c.Version = version
		return a.apply(c)
	}
	r := up("admin", 1, UserUpdate{Username: "t1", DisplayName: ptr(" 覃干事 "), Role: ptr(RoleTeacher), Line: ptr(LineEducation),
		Scope: &Scope{Kind: ScopeSchool, Code: "P1"}})
	if !r.Applied() || r.Version != 2 {
		t.Fatalf("update t1: %+v, want applied at version 2", r)
	}
	u, _ := db.User("t1")
	if u.DisplayName != "覃干事" || u.Role != RoleTeacher || u.Line != LineEducation || u.Scope != (Scope{Kind: ScopeSchool, Code: "P1"}) || u.Version != 2 {
		t.Errorf("t1 after update: %+v", u)
	}
	if r := up("admin", 1, UserUpdate{Username: "t1", Disabled: ptr(true)}); r.Applied() || r.Code != CodeConflict {
		t.Errorf("update of a stale version: %+v, want conflict", r)
	}
	epoch := u.SessionEpoch
	a.must(cmd(t, "admin", KindUserUpdate, UserUpdate{Username: "t1", Disabled: ptr(true)})) // no version: set as given
	if u, _ = db.User("t1"); !u.Disabled || u.SessionEpoch != epoch+1 || u.Version != 3 {
		t.Errorf("t1 disabled: %+v, want disabled, a new session epoch, version 3", u)
	}
	// A disabled user cannot act, but a read already made is recorded.
	if r := a.apply(cmd(t, "t1", KindStudentCreate, StudentCreate{child(t, 1, "V1", "P1", 3, 1)})); r.Applied() || r.Code != CodeForbidden {
		t.Errorf("a disabled user registers a child: %+v, want forbidden", r)
	}
	a.must(cmd(t, "t1", KindBulkRead, BulkReadRecord{What: BulkStudents, Scope: "school:P1", Rows: 600, At: t0}))
	a.must(cmd(t, "admin", KindUserUpdate, UserUpdate{Username: "t1", Disabled: ptr(false)}))

	// Passwords: a reset forces a change; the user's change needs the hash
	// the old password was checked against.
	h1, h2 := mustHash(t, "first-new-pass"), mustHash(t, "second-new-pass")
	a.must(cmd(t, "admin", KindUserPasswordReset, UserPasswordReset{Username: "v", Hash: h1}))
	if u, _ = db.User("v"); u.PasswordHash != h1 || !u.MustChangePassword || u.SessionEpoch != 1 {
		t.Errorf("v after reset: must change %v, epoch %d", u.MustChangePassword, u.SessionEpoch)
	}
	a.must(cmd(t, "v", KindUserPassword, UserPassword{Username: "v", Previous: HashFingerprint(h1), Hash: h2}))
	if u, _ = db.User("v"); u.PasswordHash != h2 || u.MustChangePassword || u.SessionEpoch != 2 {
		t.Errorf("v after own change: must change %v, epoch %d", u.MustChangePassword, u.SessionEpoch)
	}
	all := dump(t, db, true)
	for _, h := range []string{h1, h2, "first-new-pass", "second-new-pass"} {
		for _, l := range strings.Split(all, "\n") {
			if strings.HasPrefix(l, "audit\t") && strings.Contains(l, h) {
				t.Errorf("an audit entry holds a password or hash: %s", l)
			}
		}
	}
	if got := auditFields(t, db, "user:v"); !strings.Contains(got, "password:changed") || !strings.Contains(got, "password:reset") {
		t.Errorf("audit of v = %s, want the reset and the change", got)
	}

	// The same log on a second register gives the same register.
	two := mustOpen(t)
	if _, err := two.ApplyBatch(a.log); err != nil {
		t.Fatal(err)
	}
	if d1, d2 := dump(t, db, true), dump(t, two, true); d1 != d2 {
		t.Errorf("registers differ after the same log:\n%s", cmp.Diff(d1, d2))
	}
}

// Refused user changes change nothing, and the district always keeps an
// active administrator.
func TestUserChangeRefusalsChangeNothing(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	h := mustHash(t, "a-new-password")
	a.must(cmd(t, "admin", KindUserCreate, UserCreate{User: User{Username: "gone", Role: RoleOfficer, Line: LineEducation, Scope: DistrictScope, PasswordHash: testHash}}))
	a.must(cmd(t, "admin", KindUserUpdate, UserUpdate{Username: "gone", Disabled: ptr(true)}))
	before := dump(t, db, false)
	for _, c := range []struct {
		name, actor string
		version     uint64
		p           Payload
		code, field string
	}{
		{"disable the last admin", "admin", 0, UserUpdate{Username: "admin", Disabled: ptr(true)}, CodeState, "disabled"},
		{"demote the last admin", "admin", 0, UserUpdate{Username: "admin", Role: ptr(RoleOfficer), Scope: &Scope{Kind: ScopeTownship, Code: "T1"}}, CodeState, "role"},
		{"an admin of a township", "admin", 0, UserUpdate{Username: "t1", Role: ptr(RoleAdmin)}, CodeInvalid, "scope"},
		{"a scope naming no unit", "admin", 0, UserUpdate{Username: "t1", Scope: &Scope{Kind: ScopeTownship, Code: "T9"}}, CodeNotFound, "scope"},
		{"a class its school lacks", "admin", 0, UserUpdate{Username: "c1", Scope: &Scope{Kind: ScopeClass, Code: "P1", Grade: 8, Class: 1}}, CodeInvalid, "scope"},
		{"an unknown user", "admin", 0, UserUpdate{Username: "nobody", Disabled: ptr(true)}, CodeNotFound, "username"},
		{"nothing to change", "admin", 0, UserUpdate{Username: "t1"}, CodeInvalid, ""},
		{"a role that is none", "admin", 0, UserUpdate{Username: "t1", Role: ptr("boss")}, CodeInvalid, "role"},
		{"a stale version", "admin", 7, UserUpdate{Username: "t1", Disabled: ptr(true)}, CodeConflict, "version"},
		{"an officer updates", "t1", 0, UserUpdate{Username: "p1", Disabled: ptr(true)}, CodeForbidden, ""},
		{"a disabled user changes their password", "gone", 0, UserPassword{Username: "gone", Previous: HashFingerprint(testHash), Hash: h}, CodeForbidden, ""},
		{"another's password", "t1", 0, UserPassword{Username: "p1", Previous: HashFingerprint(testHash), Hash: h}, CodeForbidden, "username"},
		{"a password changed since", "t1", 0, UserPassword{Username: "t1", Previous: HashFingerprint("other"), Hash: h}, CodeConflict, "old_password"},
		{"a password not hashed", "t1", 0, UserPassword{Username: "t1", Previous: HashFingerprint(testHash), Hash: "plain-text-pw"}, CodeInvalid, "hash"},
		{"an officer resets", "t1", 0, UserPasswordReset{Username: "p1", Hash: h}, CodeForbidden, ""},
		{"a reset of nobody", "admin", 0, UserPasswordReset{Username: "nobody", Hash: h}, CodeNotFound, "username"},
		{"a disabled admin acts", "gone", 0, UserUpdate{Username: "gone", Disabled: ptr(false)}, CodeForbidden, ""},
	} {
		c2 := cmd(t, c.actor, c.p.Kind(), c.p)
		c2.Version = c.version
		if r := a.apply(c2); r.Applied() || r.Code != c.code || r.Field != c.field {
			t.Errorf("%s: %+v, want refused %s on %q", c.name, r, c.code, c.field)
		}
	}
	if after := dump(t, db, false); after != before {
		t.Errorf("refusals changed the register:\n%s", cmp.Diff(before, after))
	}
	// With a second active admin, the first may be disabled; then the
	// second is the last.
	a.must(cmd(t, "admin", KindUserCreate, UserCreate{User: User{Username: "admin2", Role: RoleAdmin, Line: LineEducation, Scope: DistrictScope, PasswordHash: testHash}}))
	a.must(cmd(t, "admin2", KindUserUpdate, UserUpdate{Username: "admin", Disabled: ptr(true)}))
	if r := a.apply(cmd(t, "admin2", KindUserUpdate, UserUpdate{Username: "admin2", Role: ptr(RoleViewer)})); r.Applied() || r.Field != "role" {
		t.Errorf("demote the last active admin after the other was disabled: %+v, want refused on role", r)
	}
}

func mustHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// auditFields lists the audit entries of a target as field:to pairs.
func auditFields(t *testing.T, db *DB, target string) string {
	t.Helper()
	es, err := db.UserAudit(strings.TrimPrefix(target, "user:"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		for _, c := range e.Changes {
			out = append(out, c.Field+":"+c.To)
		}
	}
	return strings.Join(out, " ")
}

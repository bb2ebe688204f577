package store

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// New hashes are Argon2id with the parameters DESIGN.md states; hashes of
// the PBKDF2 era still check and are marked for rehashing.
func TestPasswordHashes(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("new hash %q, want Argon2id m=19456,t=2,p=1", h)
	}
	if !CheckPassword(h, "correct horse battery") || CheckPassword(h, "correct horse batterz") {
		t.Error("Argon2id hash does not check")
	}
	if NeedsRehash(h) {
		t.Error("a current hash needs rehashing")
	}
	salt := []byte("0123456789abcdef")
	key, _ := pbkdf2.Key(sha256.New, "old password 1", salt, 1000, 32)
	enc := base64.RawStdEncoding
	old := fmt.Sprintf("pbkdf2-sha256$1000$%s$%s", enc.EncodeToString(salt), enc.EncodeToString(key))
	if !CheckPassword(old, "old password 1") || CheckPassword(old, "old password 2") || !NeedsRehash(old) {
		t.Error("a PBKDF2 hash does not check, or is not marked for rehashing")
	}
	for _, bad := range []string{"$argon2id$v=19$m=9999999,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$" + strings.Repeat("A", 43), "$argon2id$v=19$m=19456,t=2,p=1$x$y", ""} {
		if CheckPassword(bad, "") || IsArgon2idHash(bad) {
			t.Errorf("hash %q accepted", bad)
		}
	}
}

// A new password has at least ten characters, not only spaces, and is not
// one of the commonest.
func TestValidatePassword(t *testing.T) {
	for _, c := range []struct{ pw, code string }{
		{"短密码", "length"}, {"123456789", "length"}, {"          ", "blank"}, {"\t\n\u3000 \t\n\u3000 \t\n", "blank"},
		{"1234567890", "common"}, {"QwertyUIOP", "common"}, {"Password123", "common"}, {"woaini1314", "common"},
		{strings.Repeat("x", 1025), "length"}, {"拉堡镇中心小学二〇二六", ""}, {"correct horse", ""},
	} {
		err := ValidatePassword(c.pw)
		fe, _ := err.(*FieldError)
		switch {
		case c.code == "" && err != nil:
			t.Errorf("%q refused: %v", c.pw, err)
		case c.code != "" && (fe == nil || fe.Code != c.code || fe.Field != "password"):
			t.Errorf("%q: %v, want refused on password (%s)", c.pw, err, c.code)
		}
	}
}

// user.rehash replaces the actor's own hash when it is still the one the
// login checked; another user's, a stale one or a weak hash is refused and
// changes nothing. Usernames are unique regardless of case.
func TestUserRehashAndUsernameCase(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	h, _ := HashPassword("a new strong one")
	rehash := func(actor, user, prev, hash string) Result {
		return a.apply(cmd(t, actor, KindUserRehash, UserRehash{Username: user, Previous: prev, Hash: hash}))
	}
	before := dump(t, db, false)
	for _, c := range []struct {
		name, actor, user, prev, hash, field string
	}{
		{"another user's", "admin", "v", HashFingerprint(testHash), h, "username"},
		{"stale", "v", "v", HashFingerprint("something else"), h, "previous"},
		{"not argon2id", "v", "v", HashFingerprint(testHash), testHash, "hash"},
	} {
		if r := rehash(c.actor, c.user, c.prev, c.hash); r.Applied() || r.Field != c.field {
			t.Errorf("%s: %+v, want refused on %s", c.name, r, c.field)
		}
	}
	if dump(t, db, false) != before {
		t.Error("refused rehashes changed the register")
	}
	a.must(cmd(t, "v", KindUserRehash, UserRehash{Username: "v", Previous: HashFingerprint(testHash), Hash: h}))
	if u, _ := db.User("v"); u.PasswordHash != h {
		t.Errorf("hash after rehash %q", u.PasswordHash)
	}
	r := a.apply(cmd(t, "admin", KindUserCreate, UserCreate{User: User{Username: "V", Role: RoleViewer, Line: LineEducation,
		Scope: DistrictScope, PasswordHash: h}}))
	if r.Applied() || r.Code != CodeDuplicate || r.ExistingID != "v" {
		t.Errorf("user V beside v: %+v, want duplicate of v", r)
	}
}

package store

import (
	"strings"

	bolt "go.etcd.io/bbolt"
)

// KindUserRehash replaces a user's password hash with a stronger hash of
// the same password (HashPassword's current Argon2id parameters). The node
// where the user logs in makes it after the password was checked, and
// queues it in its outbox; the actor is the user, who may rehash only their
// own. Previous is the fingerprint of the hash it replaces: when the hash
// changed in between (a new password), the command is refused and changes
// nothing, so an upgrade never undoes a password change.
const KindUserRehash = "user.rehash"

// UserRehash is the payload of user.rehash.
type UserRehash struct {
	Username string `json:"username"`
	Previous string `json:"previous"` // HashFingerprint of the hash it replaces
	Hash     string `json:"hash"`     // the new Argon2id hash
}

func applyUserRehash(a *applyCtx) error {
	var p UserRehash
	if err := decode(a, &p); err != nil {
		return err
	}
	switch {
	case p.Username != a.actor.Username:
		return &rejection{code: CodeForbidden, field: "username", reason: "a user may rehash only their own password"}
	case !IsArgon2idHash(p.Hash):
		return &rejection{code: CodeInvalid, field: "hash", reason: "hash must be an Argon2id hash"}
	case HashFingerprint(a.actor.PasswordHash) != p.Previous:
		return &rejection{code: CodeConflict, field: "previous", reason: "the password changed since: nothing to upgrade"}
	}
	u := a.actor
	u.PasswordHash = p.Hash
	a.target, a.recordID = "user:"+u.Username, u.Username
	a.changes = []Change{{Field: "password_hash", To: "argon2id"}} // never the hash
	return putJSON(a.tx.Bucket(bucketUsers), []byte(u.Username), u)
}

// usernameTaken reports the existing username that equals name regardless
// of case ("" when none): usernames are unique regardless of case, so that
// Wei and wei are never two people.
func usernameTaken(users *bolt.Bucket, name string) string {
	if users.Get([]byte(name)) != nil {
		return name
	}
	var found string
	_ = users.ForEach(func(k, _ []byte) error {
		if strings.EqualFold(string(k), name) {
			found = string(k)
		}
		return nil
	})
	return found
}

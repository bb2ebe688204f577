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

// Kind names the payload's command kind (Payload).
func (UserRehash) Kind() string { return KindUserRehash }

// Any active user may upgrade their own hash (applyUserRehash checks whose), but a
// township node only for its township's users: every replica holds every
// hash, so from anywhere else a stolen township PC could set the
// administrator's. A district user's hash is upgraded at a bureau node.
var _ = register(kindSpec[UserRehash]{Who: Reader, Nodes: TownshipNode, Check: checkUserRehash, Target: noTarget[UserRehash], Apply: applyUserRehash})

// checkUserRehash checks that the new hash is an Argon2id hash. Errors
// are *FieldError.
func checkUserRehash(p *UserRehash) error {
	if !IsArgon2idHash(p.Hash) {
		return fieldErr("hash", "format", "hash must be an Argon2id hash")
	}
	return nil
}

func applyUserRehash(a *applyCtx, p *UserRehash) error {
	if p.Username != a.actor.Username {
		return reject(CodeForbidden, "a user may rehash only their own password").on("username")
	}
	if err := checkUserRehash(p); err != nil {
		return invalid(err)
	}
	if HashFingerprint(a.actor.PasswordHash) != p.Previous {
		return reject(CodeConflict, "the password changed since: nothing to upgrade").on("previous")
	}
	u := a.actor
	u.PasswordHash = p.Hash
	a.done("user:"+u.Username, u.Username, 0, []Change{{Field: "password_hash", To: "argon2id"}}) // never the hash
	return putUser(a, u)
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

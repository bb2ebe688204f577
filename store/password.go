package store

import (
	"bufio"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Passwords are hashed with Argon2id on the node that takes the request, so
// no password ever enters the Raft log. The parameters (DESIGN.md,
// "Passwords") are OWASP's first recommended set: 19 MiB of memory, two
// passes, one lane. The hash records its own parameters, so raising them
// later keeps old hashes valid; NeedsRehash tells a login to upgrade them.
// Hashes made before Argon2id (PBKDF2-SHA256, "pbkdf2-sha256$iter$salt$key")
// are still checked, and upgraded at the user's next login (user.rehash).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonPrefix  = "$argon2id$v=19$"
)

// MinPassword is the fewest characters a password may have.
const MinPassword = 10

//go:embed common_passwords.txt
var commonPasswordList string

// commonPasswords are the commonest passwords of at least MinPassword
// characters (lower case), refused whatever their length.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(commonPasswordList))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && !strings.HasPrefix(w, "#") {
			m[strings.ToLower(w)] = true
		}
	}
	return m
}()

// ValidatePassword checks a new password: at least MinPassword characters,
// not only white space, at most 1024 bytes, not one of the commonest. Errors
// are *FieldError on field password.
func ValidatePassword(pw string) error {
	switch {
	case utf8.RuneCountInString(pw) < MinPassword:
		return fieldErr("password", "length", fmt.Sprintf("password must have at least %d characters", MinPassword))
	case len(pw) > 1024:
		return fieldErr("password", "length", "password is too long")
	case strings.TrimFunc(pw, unicode.IsSpace) == "":
		return fieldErr("password", "blank", "password must not be only spaces")
	case commonPasswords[strings.ToLower(pw)]:
		return fieldErr("password", "common", "this password is one of the commonest: choose another")
	}
	return nil
}

// HashPassword hashes a password for User.PasswordHash with Argon2id.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("%sm=%d,t=%d,p=%d$%s$%s", argonPrefix, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches hash (Argon2id, or the older
// PBKDF2-SHA256), in constant time.
func CheckPassword(hash, pw string) bool {
	if strings.HasPrefix(hash, argonPrefix) {
		return checkArgon2id(hash, pw)
	}
	return checkPBKDF2(hash, pw)
}

// NeedsRehash reports whether hash should be made again with the current
// Argon2id parameters (after the password was checked against it).
func NeedsRehash(hash string) bool {
	return !strings.HasPrefix(hash, fmt.Sprintf("%sm=%d,t=%d,p=%d$", argonPrefix, argonMemory, argonTime, argonThreads))
}

// IsArgon2idHash reports whether hash is an Argon2id hash this package can
// check, with parameters in bounds.
func IsArgon2idHash(hash string) bool {
	_, _, _, _, _, ok := parseArgon2id(hash)
	return ok
}

// HashFingerprint names a hash without showing it: user.rehash carries the
// fingerprint of the hash it replaces.
func HashFingerprint(hash string) string {
	sum := sha256.Sum256([]byte(hash))
	return hex.EncodeToString(sum[:])
}

func parseArgon2id(hash string) (m, t uint32, p uint8, salt, key []byte, ok bool) {
	rest, found := strings.CutPrefix(hash, argonPrefix)
	parts := strings.Split(rest, "$")
	if !found || len(parts) != 3 {
		return
	}
	var mm, tt, pp int
	if n, err := fmt.Sscanf(parts[0], "m=%d,t=%d,p=%d", &mm, &tt, &pp); err != nil || n != 3 {
		return
	}
	// Bounds: a hash from the register must not make a login take a
	// gigabyte or a minute.
	if mm < 8 || mm > 256*1024 || tt < 1 || tt > 10 || pp < 1 || pp > 8 {
		return
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[1])
	key, err2 := enc.DecodeString(parts[2])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return
	}
	return uint32(mm), uint32(tt), uint8(pp), salt, key, true
}

func checkArgon2id(hash, pw string) bool {
	m, t, p, salt, want, ok := parseArgon2id(hash)
	if !ok {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

func checkPBKDF2(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > 10_000_000 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	want, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, pw, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

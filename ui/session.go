package ui

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"baoxue/store"
)

// sessionsBucket holds this node's sessions in its local (unreplicated)
// file: key sha256(token), value a JSON sessionRecord. Only the hash is
// stored, so a copy of local.db does not hand out live tokens.
var sessionsBucket = []byte("ui.sessions")

// sessionTTL is how long a login lasts.
const sessionTTL = 12 * time.Hour

// errNoSession: the token is unknown or expired.
var errNoSession = errors.New("no session")

type sessionRecord struct {
	Username string    `json:"username"`
	Expires  time.Time `json:"expires"`
	// Epoch is the user's SessionEpoch when the session began: once this
	// node has applied a later one (the user was disabled, or the password
	// changed), the session is void (userFor).
	Epoch uint64 `json:"epoch,omitzero"`
}

// sessionStore keeps sessions in a bbolt file. Safe for concurrent use.
type sessionStore struct {
	db *bolt.DB
	// decoded holds records decoded from their stored bytes, so a request
	// does not decode its session's JSON again. Keyed by the bytes, it
	// needs no invalidation: a changed or deleted session is other bytes
	// or none. At most maxDecodedSessions, then started afresh.
	mu      sync.Mutex
	decoded map[string]sessionRecord
}

const maxDecodedSessions = 4096

func newSessionStore(db *bolt.DB) (*sessionStore, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(sessionsBucket)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sessionStore{db: db}, nil
}

func tokenKey(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// create starts a session for u and returns its token: 32 random bytes,
// base64url. Expired sessions are swept at the same time.
func (s *sessionStore) create(u store.User, now time.Time) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	v, err := json.Marshal(sessionRecord{Username: u.Username, Expires: now.Add(sessionTTL), Epoch: u.SessionEpoch})
	if err != nil {
		return "", err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(sessionsBucket)
		if err := sweep(bk, now); err != nil {
			return err
		}
		return bk.Put(tokenKey(token), v)
	})
	if err != nil {
		return "", fmt.Errorf("save session: %w", err)
	}
	return token, nil
}

// sweep deletes expired sessions.
func sweep(bk *bolt.Bucket, now time.Time) error {
	var dead [][]byte
	err := bk.ForEach(func(k, v []byte) error {
		var r sessionRecord
		if json.Unmarshal(v, &r) != nil || !now.Before(r.Expires) {
			dead = append(dead, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range dead {
		if err := bk.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// lookup returns a live session, or errNoSession.
func (s *sessionStore) lookup(token string, now time.Time) (sessionRecord, error) {
	if token == "" {
		return sessionRecord{}, errNoSession
	}
	var r sessionRecord
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(sessionsBucket).Get(tokenKey(token))
		if v == nil {
			return nil
		}
		found = true
		return s.decode(v, &r)
	})
	if err != nil {
		return sessionRecord{}, fmt.Errorf("read session: %w", err)
	}
	if !found || !now.Before(r.Expires) {
		return sessionRecord{}, errNoSession
	}
	return r, nil
}

// decode reads a stored session record, from decoded when it is there.
// v is valid only in its transaction: the map keeps a copy.
func (s *sessionStore) decode(v []byte, r *sessionRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.decoded[string(v)]; ok {
		*r = d
		return nil
	}
	if err := json.Unmarshal(v, r); err != nil {
		return err
	}
	if s.decoded == nil || len(s.decoded) >= maxDecodedSessions {
		s.decoded = make(map[string]sessionRecord)
	}
	s.decoded[string(v)] = *r
	return nil
}

// delete ends a session. Deleting an unknown token is not an error.
func (s *sessionStore) delete(token string) error {
	if token == "" {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(sessionsBucket).Delete(tokenKey(token))
	})
}

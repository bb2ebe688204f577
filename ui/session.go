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
//
// live holds the sessions found by lookup, keyed by tokenKey, so an API
// request does not open a read transaction on local.db for its session
// (one of four a write). Only this process writes the sessions bucket
// (bbolt locks the file), and only through create and delete: create makes
// a token no entry can hold yet and drops the entries of the expired
// sessions it sweeps, delete drops its entry, each after its transaction
// commits. gen counts those, so a lookup that read the file before a
// delete committed does not put the session back afterwards.
// Expiry is checked on every lookup, from the entry as from the file. What
// the register decides (a disabled user, a changed password or role) is
// not cached here: userFor reads the user on every request.
type sessionStore struct {
	db *bolt.DB

	mu   sync.Mutex
	live map[string]sessionRecord
	gen  uint64
}

// maxLiveSessions bounds live; when full it is started afresh.
const maxLiveSessions = 4096

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
	var swept [][]byte
	err = s.db.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(sessionsBucket)
		var err error
		if swept, err = sweep(bk, now); err != nil {
			return err
		}
		return bk.Put(tokenKey(token), v)
	})
	s.forget(swept...)
	if err != nil {
		return "", fmt.Errorf("save session: %w", err)
	}
	return token, nil
}

// sweep deletes expired sessions and returns their keys.
func sweep(bk *bolt.Bucket, now time.Time) ([][]byte, error) {
	var dead [][]byte
	err := bk.ForEach(func(k, v []byte) error {
		var r sessionRecord
		if json.Unmarshal(v, &r) != nil || !now.Before(r.Expires) {
			dead = append(dead, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range dead {
		if err := bk.Delete(k); err != nil {
			return nil, err
		}
	}
	return dead, nil
}

// lookup returns a live session, or errNoSession.
func (s *sessionStore) lookup(token string, now time.Time) (sessionRecord, error) {
	if token == "" {
		return sessionRecord{}, errNoSession
	}
	key := tokenKey(token)
	s.mu.Lock()
	r, ok := s.live[string(key)]
	if ok && !now.Before(r.Expires) {
		delete(s.live, string(key))
	}
	gen := s.gen
	s.mu.Unlock()
	if ok {
		if !now.Before(r.Expires) {
			return sessionRecord{}, errNoSession
		}
		return r, nil
	}
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(sessionsBucket).Get(key)
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &r)
	})
	if err != nil {
		return sessionRecord{}, fmt.Errorf("read session: %w", err)
	}
	if !found || !now.Before(r.Expires) {
		return sessionRecord{}, errNoSession
	}
	s.remember(key, r, gen)
	return r, nil
}

// remember keeps r for later lookups, unless a session was deleted since
// the caller read it at gen (it may have been this one).
func (s *sessionStore) remember(key []byte, r sessionRecord, gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen {
		return
	}
	if s.live == nil || len(s.live) >= maxLiveSessions {
		s.live = make(map[string]sessionRecord)
	}
	s.live[string(key)] = r
}

// delete ends a session. Deleting an unknown token is not an error.
func (s *sessionStore) delete(token string) error {
	if token == "" {
		return nil
	}
	key := tokenKey(token)
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(sessionsBucket).Delete(key)
	})
	s.forget(key)
	return err
}

// forget drops sessions deleted from the file from live. Called after the
// transaction that deleted them: a lookup from then on reads the file
// without them, and one that read it before does not remember them (gen).
func (s *sessionStore) forget(keys ...[]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		delete(s.live, string(k))
	}
	s.gen++
}

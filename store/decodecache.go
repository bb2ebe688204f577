package store

import (
	"encoding/json"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// decodeCache remembers decoded records by their stored bytes. Every
// command decodes its actor, village, group and school from JSON, several
// times on the leader (session, check, apply, read back): the cache turns
// those into a map lookup. Keyed by the whole stored value, it needs no
// invalidation: a changed record has other bytes and is decoded afresh,
// whichever transaction (or restored file) it comes from, committed or not.
// T must be a plain value (no slices or maps) so that copies share nothing.
type decodeCache[T any] struct {
	mu sync.RWMutex
	m  map[string]T
}

// decodeCacheMax bounds a cache; when full it starts again empty. The org
// tree of a district and its users are a few thousand records.
const decodeCacheMax = 8192

var (
	usersCache    decodeCache[User]
	villagesCache decodeCache[Village]
	groupsCache   decodeCache[Group]
	schoolsCache  decodeCache[School]
)

// get reads key from b into out, as getJSON does.
func (c *decodeCache[T]) get(b *bolt.Bucket, key []byte, out *T) bool {
	raw := b.Get(key)
	if raw == nil {
		return false
	}
	c.mu.RLock()
	v, ok := c.m[string(raw)] // no allocation: the conversion is only a lookup
	c.mu.RUnlock()
	if ok {
		*out = v
		return true
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		panic("store: corrupt record in " + string(key) + ": " + err.Error())
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= decodeCacheMax {
		c.m = make(map[string]T)
	}
	c.m[string(raw)] = v // string(raw) copies: raw is only valid in its transaction
	c.mu.Unlock()
	*out = v
	return true
}

package store

import (
	"encoding/json"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// decodeCache remembers decoded records by their stored bytes. Every
// command decodes its actor, village, group and school from JSON, several
// times on the leader (session, check, apply, read back): the cache turns
// those into a map lookup. Keyed by the whole stored value, it needs no
// invalidation: a changed record has other bytes and is decoded afresh,
// whichever transaction (or restored file) it comes from, committed or not.
// T must be a plain value (no slices or maps) so that copies share nothing,
// or the cache needs a clone function.
type decodeCache[T any] struct {
	max   int       // entries kept; 0 is decodeCacheMax
	clone func(T) T // copies what a caller could change in place; nil for plain values
	// dec replaces JSON where the record has a stored form of its own
	// (children: codec.go); nil for JSON.
	dec func(key, raw []byte, v *T) error

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
	// nodesCache: every command's node is checked against the registry
	// (authorizeNode).
	nodesCache decodeCache[ClusterNode]
	// studentsCache holds the children read last. A write does not fill
	// it: every node writes every child, and the node that took the write
	// answers it from written.go. A child's stored bytes do not hold its id
	// (codec.go), but they hold its ID number, which no other child has
	// (invariant 5): the bytes still name one child.
	studentsCache = decodeCache[Student]{max: 1024, clone: cloneStudent, dec: decodeStudent}
	// calendarCache: every roll call checks its day against the school
	// calendar, whose terms, holidays and workdays were a fifth of the
	// demo's roll calls decoded from JSON each time. There is one
	// calendar; a changed one has other bytes.
	calendarCache = decodeCache[Calendar]{max: 4, clone: cloneCalendar, dec: decodeCalendar}
)

func cloneCalendar(c Calendar) Calendar {
	c.Terms = slices.Clone(c.Terms)
	c.Holidays = slices.Clone(c.Holidays)
	c.Workdays = slices.Clone(c.Workdays)
	return c
}

// decodeCalendar decodes a stored calendar as calendarOf always did: onto
// the default's version.
func decodeCalendar(_, raw []byte, c *Calendar) error {
	*c = Calendar{Version: 1}
	return json.Unmarshal(raw, c)
}

func cloneStudent(s Student) Student {
	s.Flags = slices.Clone(s.Flags)
	s.Guardians = slices.Clone(s.Guardians)
	return s
}

// get reads key from b into out, as getJSON does.
func (c *decodeCache[T]) get(b *bolt.Bucket, key []byte, out *T) bool {
	return c.getVia(nil, b, key, out)
}

// getVia is get reading through g (getter.go).
func (c *decodeCache[T]) getVia(g *getter, b *bolt.Bucket, key []byte, out *T) bool {
	raw := g.get(b, key)
	if raw == nil {
		return false
	}
	c.mu.RLock()
	v, ok := c.m[string(raw)] // no allocation: the conversion is only a lookup
	c.mu.RUnlock()
	if !ok {
		v = c.decode(raw, key)
	}
	if c.clone != nil {
		v = c.clone(v)
	}
	*out = v
	return true
}

// decode decodes and remembers raw. Apart from get, so that only a miss
// puts a T on the heap (json.Unmarshal takes its address).
func (c *decodeCache[T]) decode(raw, key []byte) T {
	var v T
	var err error
	if c.dec != nil {
		err = c.dec(key, raw, &v)
	} else {
		err = json.Unmarshal(raw, &v)
	}
	if err != nil {
		panic("store: corrupt record in " + string(key) + ": " + err.Error())
	}
	c.add(raw, v)
	return v
}

func (c *decodeCache[T]) add(raw []byte, v T) {
	max := c.max
	if max == 0 {
		max = decodeCacheMax
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= max {
		// Sized at once where the bound is small (children: every node
		// adds each new one): a growing map rehashes as it fills.
		c.m = make(map[string]T, min(max, 1024))
	}
	c.m[string(raw)] = v // string(raw) copies: raw is only valid in its transaction
	c.mu.Unlock()
}

package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// Audit entries are the largest part of the register (one per applied
// command; a child's creation lists every field). They are stored as a
// compact JSON array rather than the AuditEntry object, which halves them:
//
//	[1, kind, user, role, node, at (Unix ns), target, command id, [field, from, to, ...]]
//
// The log index is the key and not repeated. Entries written before this
// layout (JSON objects) are still read. The API and the pages see the same
// AuditEntry either way.
//
// A child's registration changes every field, and the record holds exactly
// those values until it first changes: its entry (layout 2, schema 3) is
//
//	[2, kind, user, role, node, at (Unix ns), target, command id]
//
// and reading it derives the changes from the child's record, as the
// registration did (studentDiff from nothing). Before any write changes
// the record (putStudent), keepCreation rewrites the entry in layout 1 with
// the fields as they were, so the entry says what the registration set for
// ever. This saves the largest entries of the register, a third of it.

// Layouts of a compact entry: its first element.
const (
	auditLayout        = 1 // changes inside
	auditLayoutCreated = 2 // the changes are the target child's fields, which its record still holds
)

// encodeAudit writes e in a compact layout (auditLayoutCreated: without
// its changes). It is deterministic: the same entry gives the same bytes on
// every node.
func encodeAudit(e *AuditEntry, layout int) []byte {
	b := make([]byte, 0, 128+64*len(e.Changes))
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(layout), 10)
	for _, s := range []string{e.Kind, e.Actor.User, e.Actor.Role, e.Actor.Node} {
		b = appendJSONString(append(b, ','), s)
	}
	var at int64
	if !e.At.IsZero() {
		at = e.At.UnixNano()
	}
	b = strconv.AppendInt(append(b, ','), at, 10)
	b = appendJSONString(append(b, ','), e.Target)
	b = appendJSONString(append(b, ','), e.CommandID)
	if layout == auditLayoutCreated {
		return append(b, ']')
	}
	b = append(b, ",["...)
	for i, c := range e.Changes {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, c.Field)
		b = appendJSONString(append(b, ','), c.From)
		b = appendJSONString(append(b, ','), c.To)
	}
	return append(b, "]]"...)
}

// decodeAudit reads an entry stored at log index in any layout; tx holds
// the record a registration's entry takes its changes from.
func decodeAudit(tx *bolt.Tx, raw []byte, index uint64) (AuditEntry, error) {
	var e AuditEntry
	if len(raw) > 0 && raw[0] == '{' {
		err := json.Unmarshal(raw, &e)
		return e, err
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return e, err
	}
	created := len(parts) == 8 && string(parts[0]) == strconv.Itoa(auditLayoutCreated)
	if !created && (len(parts) != 9 || string(parts[0]) != strconv.Itoa(auditLayout)) {
		return e, fmt.Errorf("audit entry %d: unknown layout", index)
	}
	var at int64
	var changes []string
	dsts := []any{&e.Kind, &e.Actor.User, &e.Actor.Role, &e.Actor.Node, &at, &e.Target, &e.CommandID, &changes}
	for i, dst := range dsts[:len(parts)-1] {
		if err := json.Unmarshal(parts[i+1], dst); err != nil {
			return e, fmt.Errorf("audit entry %d: %w", index, err)
		}
	}
	if len(changes)%3 != 0 {
		return e, fmt.Errorf("audit entry %d: changes are not triples", index)
	}
	for i := 0; i < len(changes); i += 3 {
		e.Changes = append(e.Changes, Change{Field: changes[i], From: changes[i+1], To: changes[i+2]})
	}
	if at != 0 {
		e.At = time.Unix(0, at).UTC()
	}
	e.Index = index
	if created {
		s, err := createdChild(tx, e.Target)
		if err != nil {
			return e, fmt.Errorf("audit entry %d: %w", index, err)
		}
		e.Changes = studentDiff(&Student{}, s)
	}
	return e, nil
}

// createdChild reads the child a layout-2 entry names.
func createdChild(tx *bolt.Tx, target string) (*Student, error) {
	var s Student
	n, ok := ParseStudentID(target)
	if !ok || !getStudentRecord(tx.Bucket(bucketStudents), u64(n), &s) {
		return nil, fmt.Errorf("no child %q for its registration's changes", target)
	}
	return &s, nil
}

// keepCreation writes the changes of the registration of the child stored
// under key (id) into its audit entry, from the record as it is now, if
// the entry still takes them from the record. putStudent calls it before it
// changes a child.
func keepCreation(tx *bolt.Tx, key []byte, id string) error {
	prefix := append([]byte(id), 0)
	k, _ := tx.Bucket(bucketAuditByTarget).Cursor().Seek(prefix)
	if !bytes.HasPrefix(k, prefix) {
		return nil // registered before schema 3: no entry to keep
	}
	index := k[len(prefix):]
	audit := tx.Bucket(bucketAudit)
	raw := audit.Get(index)
	if !bytes.HasPrefix(raw, []byte("[2,")) {
		return nil
	}
	e, err := decodeAudit(tx, raw, be64(index))
	if err != nil {
		return err
	}
	return audit.Put(index, encodeAudit(&e, auditLayout))
}

// appendJSONString appends s as a JSON string. Unlike encoding/json it
// leaves <, > and & alone (nothing here is embedded in HTML); invalid UTF-8
// becomes U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

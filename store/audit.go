package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
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

// auditLayout is the first element of a compact entry.
const auditLayout = 1

// encodeAudit writes e in the compact layout. It is deterministic: the same
// entry gives the same bytes on every node.
func encodeAudit(e *AuditEntry) []byte {
	b := make([]byte, 0, 128+64*len(e.Changes))
	b = append(b, '[')
	b = strconv.AppendInt(b, auditLayout, 10)
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

// decodeAudit reads an entry stored at log index in either layout.
func decodeAudit(raw []byte, index uint64) (AuditEntry, error) {
	var e AuditEntry
	if len(raw) > 0 && raw[0] == '{' {
		err := json.Unmarshal(raw, &e)
		return e, err
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return e, err
	}
	if len(parts) != 9 || string(parts[0]) != strconv.Itoa(auditLayout) {
		return e, fmt.Errorf("audit entry %d: unknown layout", index)
	}
	var at int64
	var changes []string
	for i, dst := range []any{&e.Kind, &e.Actor.User, &e.Actor.Role, &e.Actor.Node, &at, &e.Target, &e.CommandID, &changes} {
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
	return e, nil
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

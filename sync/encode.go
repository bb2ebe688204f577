package sync

// The command's bytes in the Raft log, made without reflection, and the
// leader's shortcut past decoding them again: encoding/json's Marshal (which
// compacts the payload once more) and Unmarshal of every command cost the
// leader ~15% of its CPU under load (DESIGN.md, "Where the time goes").

import (
	"encoding/json"
	"strconv"
	gosync "sync"
	"unicode/utf8"
	"unsafe"

	"baoxue/store"
	"baoxue/store/jsonfast"
)

// encodeCommand returns cmd as the JSON the Raft log holds: the fields of
// store.Command's tags, in their order. exact reports that decoding the
// bytes gives cmd back field for field (every string valid UTF-8, the
// payload a JSON value without surrounding space): only then may the
// leader apply cmd itself in place of the decoded bytes (ownCommands).
// Otherwise the bytes are encoding/json's.
func encodeCommand(cmd store.Command) (data []byte, exact bool, err error) {
	if !roundTrips(cmd) {
		data, err = json.Marshal(cmd)
		return data, false, err
	}
	// keys and punctuation ~120 bytes; strings escaped grow only a little
	n := 160 + len(cmd.Payload) + len(cmd.ID) + len(cmd.Kind) + len(cmd.Actor.User) + len(cmd.Actor.Role) +
		len(cmd.Actor.Node) + len(cmd.Origin) + len(cmd.RequestDigest)
	b := make([]byte, 0, n)
	b = append(b, `{"id":`...)
	b = appendString(b, cmd.ID)
	b = append(b, `,"kind":`...)
	b = appendString(b, cmd.Kind)
	b = append(b, `,"actor":{"user":`...)
	b = appendString(b, cmd.Actor.User)
	b = append(b, `,"role":`...)
	b = appendString(b, cmd.Actor.Role)
	b = append(b, `,"node":`...)
	b = appendString(b, cmd.Actor.Node)
	b = append(b, '}')
	if cmd.Origin != "" {
		b = append(b, `,"origin":`...)
		b = appendString(b, cmd.Origin)
	}
	if cmd.Seq != 0 {
		b = strconv.AppendUint(append(b, `,"seq":`...), cmd.Seq, 10)
	}
	if cmd.Version != 0 {
		b = strconv.AppendUint(append(b, `,"version":`...), cmd.Version, 10)
	}
	if cmd.V != 0 {
		b = strconv.AppendInt(append(b, `,"v":`...), int64(cmd.V), 10)
	}
	b = append(append(b, `,"payload":`...), cmd.Payload...)
	if cmd.RequestDigest != "" {
		b = append(b, `,"request_digest":`...)
		b = appendString(b, cmd.RequestDigest)
	}
	return append(b, '}'), true, nil
}

// roundTrips reports whether cmd survives encoding and decoding unchanged:
// encoding/json replaces invalid UTF-8, decodes a missing payload as
// "null", and keeps a payload's bytes but not the space around them.
func roundTrips(cmd store.Command) bool {
	for _, s := range [...]string{cmd.ID, cmd.Kind, cmd.Actor.User, cmd.Actor.Role, cmd.Actor.Node, cmd.Origin, cmd.RequestDigest} {
		if !utf8.ValidString(s) {
			return false
		}
	}
	p := cmd.Payload
	// jsonfast.Valid says true only for valid JSON, in a third of
	// json.Valid's time; its false may be wrong for deep nesting.
	return len(p) > 0 && !isSpace(p[0]) && !isSpace(p[len(p)-1]) && (jsonfast.Valid(p) || json.Valid(p))
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// appendString appends s, valid UTF-8, as a JSON string.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	return append(append(b, s[start:]...), '"')
}

// ownCommands are the commands this node, as leader, appended in this run
// and is waiting for, by the address of their log bytes: Raft hands the
// FSM the leader's own entries with the very Data slice given to Apply, so
// the FSM takes the command from here rather than decode the bytes. Only
// commands encodeCommand called exact are kept, so the register applies
// the same command on every node.
type ownCommands struct{ m gosync.Map } // *byte → store.Command

// keep remembers cmd as the command in data until forget(own) is called
// (when its Submit stops waiting).
func (o *ownCommands) keep(data []byte, cmd store.Command) (own *byte) {
	k := unsafe.SliceData(data)
	o.m.Store(k, cmd)
	return k
}

// forget drops what keep kept under own, if the FSM has not taken it; nil
// is nothing.
func (o *ownCommands) forget(own *byte) {
	if own != nil {
		o.m.Delete(own)
	}
}

// take returns the command kept for data, if any, and forgets it.
func (o *ownCommands) take(data []byte) (store.Command, bool) {
	if len(data) == 0 {
		return store.Command{}, false
	}
	v, ok := o.m.LoadAndDelete(unsafe.SliceData(data))
	if !ok {
		return store.Command{}, false
	}
	return v.(store.Command), true
}

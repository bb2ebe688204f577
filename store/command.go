package store

import (
	"encoding/json"
	"time"

	"baoxue/store/jsonfast"
)

// Command is one change to the register. It is made by the node that takes
// the request, carried in the Raft log, and applied by every node.
type Command struct {
	// ID is unique, made by the client or the receiving node (a ULID).
	// A command with an ID already applied is answered with its first result.
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Actor is who asked for the change. Apply checks the actor's role and
	// scope against the register, so a forwarded command cannot do more than
	// its author could.
	Actor Actor `json:"actor"`
	// Origin and Seq identify the command in its origin node's outbox. A
	// command with Seq at or below the origin's applied mark is a duplicate
	// if its ID has a result, else refused with CodeSeqUsed.
	// Both are empty for commands applied without an outbox.
	Origin string `json:"origin,omitempty"`
	Seq    uint64 `json:"seq,omitempty"`
	// Version is the version of the record the user saw (edits only).
	Version uint64 `json:"version,omitempty"`
	// V is the version of the payload's format within its kind: 0 or 1 for
	// the first (absent in JSON, so logs written before V existed read as
	// version 1). A kind that changes what its payload means gets a new
	// version, and a node applies only the versions it knows (Understands).
	V       int             `json:"v,omitempty"`
	Payload json.RawMessage `json:"payload"`
	// RequestDigest names the request the command was made from (ui: a
	// hash of its method, path and body), kept with its result: a command
	// id sent again with another request is refused, not answered with the
	// first request's result. Empty for commands no client asked for.
	RequestDigest string `json:"request_digest,omitempty"`
}

// Actor says who, with which role, on which node.
type Actor struct {
	User string `json:"user"`
	Role string `json:"role"`
	Node string `json:"node"`
}

// Entry is a command as committed: its log index and the time the leader
// appended it. Apply reads time only from here, never from a clock.
type Entry struct {
	Index   uint64
	Time    time.Time
	Command Command
	// payload is Command.Payload decoded by Decode (a *P of the kind's
	// payload type), or nil: ApplyBatch decodes it then.
	payload any
}

// Decode decodes the command's payload ahead of ApplyBatch, so that a caller
// can do it on another goroutine while the register applies earlier
// entries (sync's group commit does). It changes nothing ApplyBatch
// decides: a payload that does not decode is left for ApplyBatch, which
// rejects it as before. Entries are decoded independently, so Decode may
// run on several at once.
func (e *Entry) Decode() {
	if k := registry[e.Command.Kind]; k != nil && Understands(e.Command) {
		e.payload = k.decode(e.Command.Payload)
	}
}

// unmarshal is json.Unmarshal, taking jsonfast's one-pass decode where it
// gives the same result (a payload of a command is decoded on every node;
// sync/DESIGN.md, "Where the time goes").
func unmarshal(data []byte, v any) error {
	if jsonfast.Unmarshal(data, v) {
		return nil
	}
	return json.Unmarshal(data, v)
}

// Command states.
const (
	StateApplied  = "applied"
	StateRejected = "rejected"
	StatePending  = "pending" // used by nodes for commands not yet applied
)

// Rejection codes.
const (
	CodeInvalid   = "invalid"   // the payload fails validation (Field names the field)
	CodeNotFound  = "not_found" // a record named does not exist
	CodeDuplicate = "duplicate" // the record exists already (ExistingID points at it)
	CodeConflict  = "conflict"  // the record changed since the version the user saw
	CodeForbidden = "forbidden" // the actor may not do this
	CodeState     = "state"     // not allowed in the record's current state
	CodeGap       = "gap"       // an outbox sequence beyond the next expected one: resend in order
	// CodeSeqUsed: an outbox sequence at or below its origin's mark, with a
	// command id the register has no result for. The origin's outbox was
	// rolled back (local.db restored from a copy): the command was not
	// applied, and must be sent again under a new origin.
	CodeSeqUsed = "seq_used"
)

// Result is what applying a command came to. It is stored by command ID.
type Result struct {
	CommandID  string `json:"id"`
	State      string `json:"state"`
	Reason     string `json:"reason,omitempty"`
	Code       string `json:"code,omitempty"`
	Field      string `json:"field,omitempty"`
	Index      uint64 `json:"index"`
	RecordID   string `json:"record_id,omitempty"`
	Version    uint64 `json:"version,omitempty"`
	ExistingID string `json:"existing_id,omitempty"`
	// User is the command's author: a result is shown to its author (and
	// administrators) only.
	User string `json:"user,omitempty"`
	// RequestDigest is the command's (Command.RequestDigest).
	RequestDigest string `json:"request_digest,omitempty"`
	// Rows are the rows an applied import batch refused, each with its
	// reason (importkind.go); the batch's other rows took effect.
	Rows []RowResult `json:"rows,omitempty"`
}

// SameRequest reports whether cmd may be answered with result r of the same
// command id: both name the same request, or either names none.
func (r Result) SameRequest(cmd Command) bool {
	return r.RequestDigest == "" || cmd.RequestDigest == "" || r.RequestDigest == cmd.RequestDigest
}

// Applied reports whether the command took effect.
func (r Result) Applied() bool { return r.State == StateApplied }

// versioned is a payload whose version (Command.V) depends on what it
// carries: a payload that uses nothing newer stays version 1, so nodes of
// the previous release still apply it.
type versioned interface{ payloadVersion() int }

// jsonAppender is a payload that encodes itself as json.Marshal would,
// without reflection (json_append.go): the payloads on every write's path.
type jsonAppender interface{ appendJSON([]byte) []byte }

// NewCommand builds a command of p's kind with p encoded as its payload,
// and the payload's version where it has one (versioned).
// Errors: p cannot be encoded as JSON.
func NewCommand(id string, actor Actor, p Payload) (Command, error) {
	var b []byte
	if a, ok := p.(jsonAppender); ok {
		b = a.appendJSON(make([]byte, 0, 512))
		b = b[:len(b):len(b)] // no spare room another append could write into
	} else {
		var err error
		if b, err = json.Marshal(p); err != nil {
			return Command{}, err
		}
	}
	cmd := Command{ID: id, Kind: p.Kind(), Actor: actor, Payload: b}
	if v, ok := p.(versioned); ok && v.payloadVersion() > 1 {
		cmd.V = v.payloadVersion()
	}
	return cmd, nil
}

package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bulk reads (R22): a user who takes many children's records at once — a
// list read past the node's threshold, an export, a print register — is
// recorded in the register, so the bureau sees who took what. Like a read
// of a case (case_read.go) the node queues a bulk.read command in its
// outbox before it answers and does not wait for it. The node also limits
// how often one user may read in bulk (ui); the register only records.

// KindBulkRead records one bulk read; its actor is the reader.
const KindBulkRead = "bulk.read"

// What a bulk read took.
const (
	BulkStudents   = "students"    // a page of the children's list (page or API)
	BulkHouseholds = "households"  // a villager group's households
	BulkRegister   = "register"    // a school register (一校一册): page or JSON
	BulkPrint      = "print"       // a school register's print view
	BulkExport     = "export_xlsx" // a school register's Excel export
)

// BulkWhats lists what a bulk read may take.
var BulkWhats = []string{BulkStudents, BulkHouseholds, BulkRegister, BulkPrint, BulkExport}

// BulkReadRecord is the payload of bulk.read.
type BulkReadRecord struct {
	What  string    `json:"what"`  // one of BulkWhats
	Scope string    `json:"scope"` // the reader's scope, as Scope.String
	Query string    `json:"query"` // what was asked: a school or group code, the list's filters (never a name or ID searched for)
	Rows  int       `json:"rows"`  // how many children it showed
	At    time.Time `json:"at"`    // when, by the reading node's clock
}

// BulkRead is one bulk read as the register keeps it.
type BulkRead struct {
	BulkReadRecord
	User  string `json:"user"`
	Role  string `json:"role"`
	Node  string `json:"node"`
	Index uint64 `json:"index"` // the log entry that recorded it
}

// Kind names the payload's command kind (Payload).
func (BulkReadRecord) Kind() string { return KindBulkRead }

// A bulk read is recorded for any user, a viewer too.
var _ = register(kindSpec[BulkReadRecord]{Who: Reader, Check: CheckBulkRead, Target: noTarget[BulkReadRecord], Apply: applyBulkRead})

// CheckBulkRead checks a bulk read on its own: what was taken, how many
// rows, when. Errors are *FieldError.
func CheckBulkRead(p *BulkReadRecord) error {
	switch {
	case !slices.Contains(BulkWhats, p.What):
		return fieldErr("what", "format", "what must be one of "+strings.Join(BulkWhats, ", "))
	case p.Rows < 0 || len(p.Query) > 500 || len(p.Scope) > 100:
		return fieldErr("query", "format", "rows must not be negative, query at most 500 bytes")
	case p.At.IsZero():
		return fieldErr("at", "required", "the time of the read is missing or in the future")
	}
	return nil
}

func applyBulkRead(a *applyCtx, p *BulkReadRecord) error {
	if err := CheckBulkRead(p); err != nil {
		return invalid(err)
	}
	if p.At.After(a.at.Add(maxReadSkew)) {
		return reject(CodeInvalid, "the time of the read is missing or in the future").on("at")
	}
	r := BulkRead{BulkReadRecord: *p, User: a.actor.Username, Role: a.actor.Role, Node: a.e.Command.Actor.Node, Index: a.e.Index}
	r.At = p.At.UTC()
	a.done("user:"+a.actor.Username, "", 0, []Change{{Field: "what", To: p.What}, {Field: "rows", To: fmt.Sprint(p.Rows)}})
	return putJSON(a.tx.Bucket(bucketBulkReads), u64(a.e.Index), r)
}

// BulkReads returns the bulk reads recorded, newest first, at most limit;
// only those of user when user is not empty. Errors: ErrClosed.
func (db *DB) BulkReads(user string, limit int) ([]BulkRead, error) {
	out := []BulkRead{}
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketBulkReads).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var r BulkRead
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("bulk read %x: %w", k, err)
			}
			if user == "" || r.User == user {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}

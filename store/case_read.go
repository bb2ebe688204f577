package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Reads of a case (R22: "reads of a case are audited"). The node where a
// case is read records the read as a case.read command in its outbox,
// durably, before it shows the case, and does not wait for it: reading
// never depends on the leader. The register keeps the reads of every node,
// so the bureau sees who read a case at a township, and the reverse.

// KindCaseRead records one read of a case; its actor is the reader.
const KindCaseRead = "case.read"

// Ways a case is read.
var ReadVias = []string{"page", "print", "notice", "api"}

// CaseReadRecord is the payload of case.read.
type CaseReadRecord struct {
	CaseID string    `json:"case_id"`
	At     time.Time `json:"at"`  // when the case was read, by the reading node's clock
	Via    string    `json:"via"` // one of ReadVias
}

// Kind names the payload's command kind (Payload).
func (CaseReadRecord) Kind() string { return KindCaseRead }

// A read is recorded for any user, a viewer too.
var _ = register(kindSpec[CaseReadRecord]{Who: Reader, Check: CheckCaseRead, Target: func(p *CaseReadRecord) string { return p.CaseID }, Apply: applyCaseRead})

// CheckCaseRead checks a read on its own: how it was read, and when. Errors
// are *FieldError.
func CheckCaseRead(p *CaseReadRecord) error {
	switch {
	case !slices.Contains(ReadVias, p.Via):
		return fieldErr("via", "format", "via must be page, print, notice or api")
	case p.At.IsZero():
		return fieldErr("at", "required", "the time of the read is missing or in the future")
	}
	return nil
}

// CaseRead is one read of a case as the register keeps it.
type CaseRead struct {
	CaseID string    `json:"case_id"`
	User   string    `json:"user"`
	Role   string    `json:"role"`
	Node   string    `json:"node"`
	At     time.Time `json:"at"`
	Via    string    `json:"via"`
	Index  uint64    `json:"index"` // the log entry that recorded it
}

// maxReadSkew bounds how far ahead of the leader's clock a read's time may
// be: a node's clock that is wrong by more is not believed.
const maxReadSkew = 24 * time.Hour

func applyCaseRead(a *applyCtx, p *CaseReadRecord) error {
	n, ok := ParseCaseID(p.CaseID)
	var c Case
	if !ok || !getJSON(a.tx.Bucket(bucketCases), u64(n), &c) {
		return reject(CodeNotFound, "no case "+strconv.Quote(p.CaseID)).on("case_id")
	}
	if err := CheckCaseRead(p); err != nil {
		return invalid(err)
	}
	if p.At.After(a.at.Add(maxReadSkew)) {
		return reject(CodeInvalid, "the time of the read is missing or in the future").on("at")
	}
	r := CaseRead{CaseID: c.ID, User: a.actor.Username, Role: a.actor.Role, Node: a.e.Command.Actor.Node,
		At: p.At.UTC(), Via: p.Via, Index: a.e.Index}
	a.done("", "", 0, []Change{{Field: "read", To: c.ID}, {Field: "via", To: p.Via}})
	return putJSON(a.tx.Bucket(bucketCaseReads), binary.BigEndian.AppendUint64(u64(n), a.e.Index), r)
}

// CaseReads returns the reads of a case whose child is in scope sc, newest
// recorded first, at most limit.
func (db *DB) CaseReads(sc Scope, caseID string, limit int) ([]CaseRead, error) {
	c, err := db.GetCase(sc, caseID)
	if err != nil {
		return nil, err
	}
	n, _ := ParseCaseID(c.ID)
	out := []CaseRead{}
	err = db.view(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bucketCaseReads).Cursor()
		prefix := u64(n)
		k, v := cur.Seek(u64(n + 1))
		if k == nil {
			k, v = cur.Last()
		} else {
			k, v = cur.Prev()
		}
		for ; k != nil && len(out) < limit && string(k[:8]) == string(prefix); k, v = cur.Prev() {
			var r CaseRead
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("case read %x: %w", k, err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

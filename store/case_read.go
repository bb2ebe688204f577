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

func applyCaseRead(a *applyCtx) error {
	var p CaseReadRecord
	if err := decode(a, &p); err != nil {
		return err
	}
	n, ok := ParseCaseID(p.CaseID)
	var c Case
	switch {
	case !ok || !getJSON(a.tx.Bucket(bucketCases), u64(n), &c):
		return &rejection{code: CodeNotFound, field: "case_id", reason: "no case " + strconv.Quote(p.CaseID)}
	case !slices.Contains(ReadVias, p.Via):
		return &rejection{code: CodeInvalid, field: "via", reason: "via must be page, print, notice or api"}
	case p.At.IsZero() || p.At.After(a.at.Add(maxReadSkew)):
		return &rejection{code: CodeInvalid, field: "at", reason: "the time of the read is missing or in the future"}
	}
	r := CaseRead{CaseID: c.ID, User: a.actor.Username, Role: a.actor.Role, Node: a.e.Command.Actor.Node,
		At: p.At.UTC(), Via: p.Via, Index: a.e.Index}
	a.changes = []Change{{Field: "read", To: c.ID}, {Field: "via", To: p.Via}}
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

package ui

import (
	"encoding/binary"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// caseReadsBucket records who read which case when (R22), in this node's
// local.db. It is not replicated: each node keeps the reads made through it
// (a read at a township node is shown at that node only). Reads are not
// commands: sending every read through Raft would make reading depend on
// the leader and fill the log; see the report of issue 5 for the design
// that ships these records to the bureau.
//
// Key: case id, 0x00, big-endian unix nanoseconds, big-endian sequence.
// Value: JSON caseRead.
var caseReadsBucket = []byte("ui.case_reads")

// caseRead is one read of a case.
type caseRead struct {
	User string    `json:"user"`
	Role string    `json:"role"`
	At   time.Time `json:"at"`
	Via  string    `json:"via"` // page, print, notice, api
	Node string    `json:"node"`
}

// caseReadLog keeps reads of cases in local.db. Safe for concurrent use.
type caseReadLog struct{ db *bolt.DB }

func newCaseReadLog(db *bolt.DB) (*caseReadLog, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(caseReadsBucket)
		return err
	})
	return &caseReadLog{db: db}, err
}

func (l *caseReadLog) record(caseID string, r caseRead) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return l.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(caseReadsBucket)
		seq, err := b.NextSequence() // two reads in the same nanosecond are two reads
		if err != nil {
			return err
		}
		k := append([]byte(caseID), 0)
		k = binary.BigEndian.AppendUint64(k, uint64(r.At.UnixNano()))
		k = binary.BigEndian.AppendUint64(k, seq)
		return b.Put(k, v)
	})
}

// list returns the reads of a case, newest first, at most limit.
func (l *caseReadLog) list(caseID string, limit int) ([]caseRead, error) {
	out := []caseRead{}
	prefix := append([]byte(caseID), 0)
	err := l.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(caseReadsBucket).Cursor()
		// seek past the prefix and walk back
		end := append(append([]byte(nil), prefix[:len(prefix)-1]...), 1)
		k, v := c.Seek(end)
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && len(out) < limit; k, v = c.Prev() {
			if len(k) < len(prefix) || string(k[:len(prefix)]) != string(prefix) {
				break
			}
			var r caseRead
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

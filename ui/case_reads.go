package ui

import (
	"encoding/json"
	"sync"
	"time"

	"baoxue/store"
)

// Reads of a case (R22) are records of the register (store.CaseRead). A
// read is queued in this node's outbox as a case.read command, durably,
// before the case is shown, and applied later like any pending write: so
// reading never waits for the leader, works on a township that is cut off,
// and the bureau sees reads made at every node. A read that cannot be
// recorded is refused.

// caseRead is one read of a case as the pages and the API show it.
type caseRead struct {
	User    string    `json:"user"`
	Role    string    `json:"role"`
	At      time.Time `json:"at"`
	Via     string    `json:"via"` // page, print, notice, api
	Node    string    `json:"node"`
	Pending bool      `json:"pending,omitempty"` // still in this node's outbox
}

// readCoalesce is how long repeated reads of one case by one user, the same
// way, make one record: the first read is recorded, the repeats within the
// window are not (a user reloading a page 5,000 times is one read, not 5,000
// log entries).
const readCoalesce = 5 * time.Minute

// readMemo remembers when this node last recorded each user's read of each
// case each way. In memory: after a restart the next read is recorded again.
type readMemo struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// seen reports whether key was recorded within readCoalesce before now.
func (m *readMemo) seen(key string, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.last[key]
	return ok && now.Sub(t) < readCoalesce && !now.Before(t)
}

// mark notes that key was recorded at now.
func (m *readMemo) mark(key string, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		m.last = map[string]time.Time{}
	}
	if len(m.last) >= 10_000 {
		for k, t := range m.last {
			if now.Sub(t) >= readCoalesce {
				delete(m.last, k)
			}
		}
	}
	m.last[key] = now
}

// recordRead queues user u's read of a case, unless the same read was
// recorded within readCoalesce.
func (s *Server) recordRead(u store.User, caseID, via string) error {
	now := s.now()
	key := u.Username + "\x00" + caseID + "\x00" + via
	if s.reads.seen(key, now) {
		return nil
	}
	cmd, err := store.NewCommand(newCommandID(), store.Actor{User: u.Username, Role: u.Role, Node: s.cfg.NodeID},
		store.CaseReadRecord{CaseID: caseID, At: now.UTC(), Via: via})
	if err != nil {
		return err
	}
	if err := s.cfg.Queue.Enqueue(cmd); err != nil {
		return err
	}
	s.reads.mark(key, now)
	return nil
}

// listReads returns the reads of a case (an id or a store.ReportRef), at
// most limit: those still queued at this node first, then the register's,
// each newest first.
func (s *Server) listReads(u store.User, id string, limit int) ([]caseRead, error) {
	c, err := s.db.GetCase(u.Scope, id)
	if err != nil {
		return nil, err
	}
	out := []caseRead{}
	queued, err := s.cfg.Pending.PendingFor(c.ID)
	if err != nil {
		return nil, err
	}
	for i := len(queued) - 1; i >= 0 && len(out) < limit; i-- {
		var p store.CaseReadRecord
		if q := queued[i]; q.Kind == store.KindCaseRead && json.Unmarshal(q.Payload, &p) == nil {
			out = append(out, caseRead{User: q.Actor.User, Role: q.Actor.Role, At: p.At, Via: p.Via, Node: q.Actor.Node, Pending: true})
		}
	}
	reads, err := s.db.CaseReads(u.Scope, c.ID, limit-len(out))
	if err != nil {
		return nil, err
	}
	for _, r := range reads {
		out = append(out, caseRead{User: r.User, Role: r.Role, At: r.At, Via: r.Via, Node: r.Node})
	}
	return out, nil
}

package ui

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// What ui needs from this node's outbox and from strong reads, one role
// per page that needs it (implemented by package sync, wired in package
// node). Each is safe for concurrent use; a nil one in Config stands for a
// node without an outbox (noOutbox): nothing pending, reads local.

// SyncReporter describes this node's replication and outbox
// (GET /api/v1/sync).
type SyncReporter interface {
	Sync() SyncStatus
}

// PendingLister finds the writes waiting in this node's outbox, which the
// command, child and case pages show as pending.
type PendingLister interface {
	// PendingCommand returns the command if it waits in this node's outbox.
	PendingCommand(id string) (cmd store.Command, ok bool, err error)
	// PendingFor lists the commands waiting in the outbox that change
	// record id (a child, a case, or store.ReportRef+report), oldest first.
	PendingFor(id string) ([]store.Command, error)
	// PendingKind lists the commands of kind waiting in the outbox,
	// oldest first, in one read of it.
	PendingKind(kind string) ([]store.Command, error)
	// PendingRecords are the ids of records that commands waiting in the
	// outbox change.
	PendingRecords() map[string]bool
}

// Enqueuer records what nobody waits for (reads of a case, R22).
type Enqueuer interface {
	// Enqueue appends a command to the outbox, durably, and returns
	// without waiting for it to be applied.
	Enqueue(cmd store.Command) error
}

// AttentionList is the needs-attention list (attention.go): commands the
// register rejected after their authors were told "pending".
type AttentionList interface {
	// Attention lists them, oldest first; user "" lists everyone's.
	Attention(user string) ([]AttentionItem, error)
	// AttentionItem returns one, or an error wrapping store.ErrNotFound.
	AttentionItem(id string) (AttentionItem, error)
	// Dismiss removes one (store.ErrNotFound if there is none).
	Dismiss(id string) error
}

// StrongReader serves ?consistency=strong (strongReads).
type StrongReader interface {
	// ConsistentRead waits until this replica holds every write the leader
	// had committed when it was called. Errors wrap ErrUnavailable.
	ConsistentRead(ctx context.Context) error
}

// SyncStatus is GET /api/v1/sync.
type SyncStatus struct {
	NodeID       string       `json:"node_id"`
	RaftState    string       `json:"raft_state"`
	Voter        bool         `json:"voter"`
	LeaderID     string       `json:"leader_id"`
	LastContact  *time.Time   `json:"last_contact"` // null if never
	AppliedIndex uint64       `json:"applied_index"`
	CommitIndex  uint64       `json:"commit_index"`
	Outbox       OutboxCounts `json:"outbox"`
	// UpgradeRequired: null, or the entry this node stopped applying at.
	UpgradeRequired *UpgradeRequired `json:"upgrade_required"`
}

// OutboxCounts counts this node's outbox.
type OutboxCounts struct {
	Pending         int        `json:"pending"`
	Rejected        int        `json:"rejected"`          // awaiting their authors
	OldestPendingAt *time.Time `json:"oldest_pending_at"` // null when none is pending
}

// AttentionItem is a command this node took that the register rejected
// after its author had been told "pending".
type AttentionItem struct {
	CommandID  string          `json:"id"`
	Kind       string          `json:"kind"`
	Author     string          `json:"author"`
	State      string          `json:"state"` // always "rejected"
	Code       string          `json:"code"`
	Field      string          `json:"field,omitempty"`
	Reason     string          `json:"reason"`
	RecordID   string          `json:"record_id,omitempty"` // the record an edit was for
	TakenAt    time.Time       `json:"taken_at"`
	RejectedAt time.Time       `json:"rejected_at"`
	Payload    json.RawMessage `json:"payload"`
}

// noOutbox stands in for the roles Config leaves nil (a node without
// replication, tests): nothing is ever pending, reads are local.
type noOutbox struct{ rep Replica }

func (n noOutbox) Sync() SyncStatus {
	i := n.rep.Info()
	return syncOf(i, OutboxCounts{})
}
func (noOutbox) PendingCommand(string) (store.Command, bool, error) {
	return store.Command{}, false, nil
}
func (noOutbox) PendingFor(string) ([]store.Command, error)  { return nil, nil }
func (noOutbox) PendingKind(string) ([]store.Command, error) { return nil, nil }
func (noOutbox) PendingRecords() map[string]bool             { return nil }
func (noOutbox) Attention(string) ([]AttentionItem, error)   { return nil, nil }
func (noOutbox) AttentionItem(string) (AttentionItem, error) {
	return AttentionItem{}, store.ErrNotFound
}
func (noOutbox) Dismiss(string) error                     { return store.ErrNotFound }
func (noOutbox) ConsistentRead(ctx context.Context) error { return ctx.Err() }

// Enqueue applies at once: without an outbox there is nothing to queue.
func (n noOutbox) Enqueue(cmd store.Command) error {
	r, err := n.rep.Submit(context.Background(), cmd)
	if err == nil && r.State == store.StateRejected {
		err = fmt.Errorf("%s rejected: %s", cmd.Kind, r.Reason)
	}
	return err
}

// syncOf builds a SyncStatus from NodeInfo.
func syncOf(i NodeInfo, o OutboxCounts) SyncStatus {
	s := SyncStatus{NodeID: i.NodeID, RaftState: i.RaftState, Voter: i.Voter, LeaderID: i.LeaderID,
		AppliedIndex: i.AppliedIndex, CommitIndex: i.CommitIndex, Outbox: o, UpgradeRequired: i.Upgrade}
	if !i.LastContact.IsZero() {
		t := i.LastContact.UTC()
		s.LastContact = &t
	}
	return s
}

// fillRoles gives noOutbox for the outbox roles c leaves nil, so that each
// page calls the one role it needs (s.cfg.Pending, s.cfg.Queue, …).
func (c *Config) fillRoles(rep Replica) {
	none := noOutbox{rep}
	c.Sync = cmp.Or[SyncReporter](c.Sync, none)
	c.Pending = cmp.Or[PendingLister](c.Pending, none)
	c.Queue = cmp.Or[Enqueuer](c.Queue, none)
	c.Attention = cmp.Or[AttentionList](c.Attention, none)
	c.Reads = cmp.Or[StrongReader](c.Reads, none)
}

// registerSyncRoutes: GET /api/v1/sync, this node's freshness and outbox.
func (s *Server) registerSyncRoutes(api *echo.Group) {
	api.GET("/sync", s.apiSync)
}

func (s *Server) apiSync(c echo.Context) error {
	return c.JSON(http.StatusOK, s.cfg.Sync.Sync())
}

// strongReadTimeout bounds how long a strong read waits for the leader and
// for this replica to catch up before answering 503.
const strongReadTimeout = 10 * time.Second

// strongReads honours ?consistency=strong on GET requests: before the
// handler reads the local replica, it waits until the replica holds every
// write the leader had committed (read index through the leader). If that
// cannot be confirmed in time the request is answered 503 with a message
// that says so; without the parameter reads are local, as always.
func (s *Server) strongReads(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method != http.MethodGet || c.QueryParam("consistency") != "strong" {
			return next(c)
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), strongReadTimeout)
		defer cancel()
		if err := s.cfg.Reads.ConsistentRead(ctx); err != nil {
			s.log.Warn("strong read not possible", "path", c.Request().URL.Path, "err", err)
			if isAPI(c) {
				return c.JSON(http.StatusServiceUnavailable, map[string]string{
					"error": "This node could not confirm with the leader that its copy of the register is up to date " +
						"(consistency=strong needs the leader). Try again later, or read without consistency=strong " +
						"to see this node's copy as of its applied index.",
					"code": "stale"})
			}
			p := errorPage{basePage: s.base(c, "title.error", ""), Status: http.StatusServiceUnavailable,
				Message: translate(langOf(c), "error.stale")}
			return c.Render(http.StatusServiceUnavailable, "error.html", p)
		}
		return next(c)
	}
}

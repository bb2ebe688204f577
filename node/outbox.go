package node

import (
	"context"
	"errors"
	"fmt"

	"baoxue/store"
	ledgersync "baoxue/sync"
	"baoxue/ui"
)

// The replicator's outbox serves ui's PendingLister and Enqueuer as it is;
// the adapters below serve the other roles, translating types and errors:
// an unknown command is store.ErrNotFound, a strong read that cannot be
// confirmed ui.ErrUnavailable.
var (
	_ ui.PendingLister = (*ledgersync.Outbox)(nil)
	_ ui.Enqueuer      = (*ledgersync.Outbox)(nil)
	_ ui.SyncReporter  = syncReporter{}
	_ ui.AttentionList = attentionList{}
	_ ui.StrongReader  = strongReader{}
)

// syncReporter describes replication and the outbox for GET /api/v1/sync.
type syncReporter struct{ r *ledgersync.Replicator }

func (o syncReporter) Sync() ui.SyncStatus {
	s, ob := o.r.Status(), o.r.Outbox().Status()
	out := ui.SyncStatus{NodeID: s.NodeID, RaftState: s.RaftState, Voter: s.Voter, LeaderID: s.LeaderID,
		AppliedIndex: s.AppliedIndex, CommitIndex: s.CommitIndex,
		Outbox: ui.OutboxCounts{Pending: ob.Pending, Rejected: ob.Rejected}}
	if !s.LastContact.IsZero() {
		t := s.LastContact.UTC()
		out.LastContact = &t
	}
	if !ob.OldestPendingAt.IsZero() {
		t := ob.OldestPendingAt.UTC()
		out.Outbox.OldestPendingAt = &t
	}
	return out
}

// attentionList is the outbox's needs-attention list in ui's terms.
type attentionList struct{ o *ledgersync.Outbox }

func (a attentionList) Attention(user string) ([]ui.AttentionItem, error) {
	list, err := a.o.Attention(user)
	if err != nil {
		return nil, err
	}
	out := make([]ui.AttentionItem, len(list))
	for i, a := range list {
		out[i] = attentionItem(a)
	}
	return out, nil
}

func (a attentionList) AttentionItem(id string) (ui.AttentionItem, error) {
	e, err := a.o.AttentionEntry(id)
	if errors.Is(err, ledgersync.ErrUnknownCommand) {
		return ui.AttentionItem{}, fmt.Errorf("attention entry %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return ui.AttentionItem{}, err
	}
	return attentionItem(e), nil
}

func (a attentionList) Dismiss(id string) error {
	err := a.o.Dismiss(id)
	if errors.Is(err, ledgersync.ErrUnknownCommand) {
		return fmt.Errorf("attention entry %s: %w", id, store.ErrNotFound)
	}
	return err
}

// strongReader serves ?consistency=strong.
type strongReader struct{ r *ledgersync.Replicator }

func (s strongReader) ConsistentRead(ctx context.Context) error {
	if err := s.r.ConsistentRead(ctx); err != nil {
		return fmt.Errorf("%w: %w", ui.ErrUnavailable, err)
	}
	return nil
}

func attentionItem(a ledgersync.Attention) ui.AttentionItem {
	return ui.AttentionItem{CommandID: a.Command.ID, Kind: a.Command.Kind, Author: a.Command.Actor.User,
		State: a.Result.State, Code: a.Result.Code, Field: a.Result.Field, Reason: a.Result.Reason,
		RecordID: a.RecordID(), TakenAt: a.TakenAt, RejectedAt: a.RejectedAt, Payload: a.Command.Payload}
}

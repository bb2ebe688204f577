package node

import (
	"context"
	"errors"
	"fmt"

	"baoxue/store"
	ledgersync "baoxue/sync"
	"baoxue/ui"
)

// outbox adapts the replicator's outbox and strong reads to what ui needs,
// translating its errors: an unknown command is store.ErrNotFound, a strong
// read that cannot be confirmed ui.ErrUnavailable.
type outbox struct{ r *ledgersync.Replicator }

var _ ui.Outbox = outbox{}

func (o outbox) Sync() ui.SyncStatus {
	s, ob := o.r.Status(), o.r.OutboxStatus()
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

func (o outbox) PendingCommand(id string) (store.Command, bool, error) { return o.r.PendingCommand(id) }

func (o outbox) PendingFor(id string) ([]store.Command, error) { return o.r.PendingFor(id) }

func (o outbox) Enqueue(cmd store.Command) error { return o.r.Enqueue(cmd) }

func (o outbox) PendingRecords() map[string]bool { return o.r.PendingRecords() }

func (o outbox) Attention(user string) ([]ui.AttentionItem, error) {
	list, err := o.r.Attention(user)
	if err != nil {
		return nil, err
	}
	out := make([]ui.AttentionItem, len(list))
	for i, a := range list {
		out[i] = attentionItem(a)
	}
	return out, nil
}

func (o outbox) AttentionItem(id string) (ui.AttentionItem, error) {
	a, err := o.r.AttentionEntry(id)
	if errors.Is(err, ledgersync.ErrUnknownCommand) {
		return ui.AttentionItem{}, fmt.Errorf("attention entry %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return ui.AttentionItem{}, err
	}
	return attentionItem(a), nil
}

func (o outbox) Dismiss(id string) error {
	err := o.r.DismissAttention(id)
	if errors.Is(err, ledgersync.ErrUnknownCommand) {
		return fmt.Errorf("attention entry %s: %w", id, store.ErrNotFound)
	}
	return err
}

func (o outbox) ConsistentRead(ctx context.Context) error {
	if err := o.r.ConsistentRead(ctx); err != nil {
		return fmt.Errorf("%w: %w", ui.ErrUnavailable, err)
	}
	return nil
}

func attentionItem(a ledgersync.Attention) ui.AttentionItem {
	return ui.AttentionItem{CommandID: a.Command.ID, Kind: a.Command.Kind, Author: a.Command.Actor.User,
		State: a.Result.State, Code: a.Result.Code, Field: a.Result.Field, Reason: a.Result.Reason,
		RecordID: a.RecordID(), TakenAt: a.TakenAt, RejectedAt: a.RejectedAt, Payload: a.Command.Payload}
}

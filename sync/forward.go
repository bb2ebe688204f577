package sync

// The Outbox's forwarder: one goroutine (run) that sends the queue to the
// leader in sequence order and settles what this node's replica shows.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"baoxue/store"
)

// staleAckAfter: when entries the leader answered for have not shown up in
// this node's replica for this long, the forwarder sends them again (the
// register answers a known id with its first result, so this is safe).
const staleAckAfter = 30 * time.Second

// run drains the outbox until ctx ends. It sends batches in sequence order
// while answers come; after a failure it backs off exponentially with
// jitter. Entries leave the outbox only when this node's replica holds
// their result (settleFront).
func (o *Outbox) run(ctx context.Context) {
	var (
		cursor      uint64    // the leader has answered for every seq <= cursor in this run
		ackedAt     time.Time // when the leader last answered for a command
		backoff     time.Duration
		retryAt     time.Time
		lastApplied = ^uint64(0) // force a first settle
		progressAt  = time.Now() // last time an entry settled
		settleErr   error        // the last settle failed (local.db: a full disk)
	)
	for {
		// Answered entries wait to show up in this replica: the register
		// commits what it has applied at once instead of after its linger
		// (commit.go), so that a waiting Submit sees its result.
		if cursor > 0 && cursor >= o.box.firstSeq() {
			o.db.Settle()
		}
		// A failed settle is tried again (the loop sleeps at most a
		// second), not only when the applied index moves: once space is
		// freed, an idle district's pending entries settle by themselves.
		if applied := o.db.AppliedIndex(); applied != lastApplied || settleErr != nil {
			var n int
			if n, settleErr = o.trySettle(cursor, settleErr); n > 0 {
				progressAt = time.Now()
			}
			lastApplied = applied
		}
		first := o.box.firstSeq()
		if first == 0 {
			cursor = 0
			select {
			case <-o.wake:
				lastApplied = ^uint64(0)
			case <-ctx.Done():
				return
			}
			continue
		}
		if cursor < first-1 {
			cursor = first - 1
		}
		if cursor >= first && time.Since(progressAt) > staleAckAfter {
			o.log.Warn("answered outbox entries not in this replica yet; sending them again", "first_seq", first)
			cursor, progressAt = first-1, time.Now()
		}
		now := time.Now()
		if !now.Before(retryAt) && cursor < o.box.lastSeq() {
			before := cursor
			err := o.send(ctx, first, &cursor)
			if cursor > before {
				ackedAt = time.Now()
			}
			if err == nil {
				backoff, retryAt = 0, time.Time{}
				o.unreachable.Store(false)
				continue
			}
			if ctx.Err() != nil {
				return
			}
			o.unreachable.Store(true)
			backoff = nextBackoff(backoff, o.cfg.ForwardRetryMin, o.cfg.ForwardRetryMax)
			retryAt = now.Add(backoff)
			o.log.Debug("forward to leader failed; will retry", "err", err, "retry_in", backoff)
		}
		// Sleep until the retry time, or briefly while answered entries
		// wait to show up in this replica.
		d := time.Second
		if !retryAt.IsZero() {
			d = min(d, max(time.Until(retryAt), time.Millisecond))
		}
		if cursor >= first && time.Since(ackedAt) < fastSettleFor {
			d = min(d, settlePoll)
		}
		t := time.NewTimer(d)
		select {
		case <-o.wake:
			retryAt = time.Time{} // a new command: try now
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		t.Stop()
	}
}

// settlePoll is how often the forwarder checks this node's applied index
// while answered entries wait to show up in the replica, for up to
// fastSettleFor after the last answer (replication back normally takes a
// commit timeout or two); after that, once a second, so that a link that
// drops right after an answer does not keep the node polling for days.
const (
	settlePoll    = 5 * time.Millisecond
	fastSettleFor = 10 * time.Second
)

// nextBackoff doubles d within [lo, hi] and adds up to 50% jitter.
func nextBackoff(d, lo, hi time.Duration) time.Duration {
	d = min(max(2*d, lo), hi)
	return d + time.Duration(rand.Int64N(int64(d)/2+1))
}

// send forwards one batch after *cursor to the leader, or applies it here
// when this node leads. It advances *cursor over the commands answered. A
// gap answer sets *cursor back to before first (the first entry not
// settled), so that everything unsettled is sent again; the register
// answers what it already holds with the first result. A seq_used answer,
// or a gap at first itself (the register has lost settled commands),
// renumbers the outbox under a new origin (renumber) and sets *cursor to 0:
// everything pending is sent again under the new origin.
func (o *Outbox) send(ctx context.Context, first uint64, cursor *uint64) error {
	es, err := o.box.entries(*cursor, o.cfg.ForwardBatch)
	if err != nil || len(es) == 0 {
		return err
	}
	// Entries are renumbered only on this goroutine, all at once: they
	// share the first one's origin.
	req := forwardRequest{Origin: es[0].Command.Origin, Commands: make([]store.Command, len(es))}
	for i, e := range es {
		req.Commands[i] = e.Command
	}
	cctx, cancel := context.WithTimeout(ctx, o.cfg.ApplyTimeout+5*time.Second)
	defer cancel()
	resp, err := o.link.forwardToLeader(cctx, req)
	for i, res := range resp.Results {
		if i >= len(req.Commands) {
			break
		}
		seq := req.Commands[i].Seq
		if res.State == store.StateRejected && res.Code == store.CodeGap && seq != first {
			o.log.Warn("leader reports an outbox sequence gap; sending again from the first unsettled entry",
				"seq", seq, "first_seq", first)
			*cursor = first - 1
			return errGap
		}
		if res.State == store.StateRejected && res.Code == store.CodeGap {
			// A gap before the first entry this outbox holds: the register
			// lacks commands of this origin that this node saw applied
			// (the leader was restored from a backup, or recovered: they
			// are lost) and will never be sent again, so the gap would
			// never close. Nothing of this origin beyond the register's
			// mark was applied: start a new origin.
			return o.newOrigin(cursor, "the register has lost commands this node saw applied (leader restored from a backup or recovered?)", seq)
		}
		if res.State == store.StateRejected && res.Code == store.CodeSeqUsed {
			// The leader decided, in log order, that this command id was
			// not applied and its sequence is another command's: the
			// outbox was rolled back. The register retired the origin, so
			// nothing after it in this batch was applied either; every
			// pending entry is sent again, in order, under a new origin.
			return o.newOrigin(cursor, "outbox was rolled back (local.db restored from an older copy?)", seq)
		}
		*cursor = req.Commands[i].Seq
	}
	if err != nil {
		return err
	}
	if len(resp.Results) < len(req.Commands) {
		return fmt.Errorf("leader answered %d of %d commands: %s", len(resp.Results), len(req.Commands), resp.Error)
	}
	return nil
}

// newOrigin renumbers every pending entry under a new origin and sets
// *cursor to 0, so that all are sent again, in order.
func (o *Outbox) newOrigin(cursor *uint64, why string, refused uint64) error {
	old, fresh, n, err := o.box.renumber()
	if err != nil {
		return err
	}
	// Never the commands: their payloads hold children's ID numbers.
	o.log.Warn(why+"; pending commands renumbered under a new origin",
		"old_origin", old, "new_origin", fresh, "renumbered", n, "refused_seq", refused)
	*cursor = 0
	return nil
}

// trySettle settles the front of the outbox (settleFront), logging when
// settling starts or stops failing rather than at every try.
func (o *Outbox) trySettle(cursor uint64, failing error) (int, error) {
	n, err := o.settleFront(cursor)
	switch {
	case err != nil && failing == nil:
		o.log.Error("settle outbox; trying again every second", "err", err)
	case err == nil && failing != nil:
		o.log.Info("settle outbox: working again")
	}
	return n, err
}

// settleFront removes, from the front of the outbox, the entries with a
// sequence at or below cursor (the leader answered for them in this run,
// so their sequence numbers are used) whose result this node's replica
// holds. Results of one origin appear in the replica in sequence order, so
// it stops at the first entry without one. It returns how many it settled.
func (o *Outbox) settleFront(cursor uint64) (int, error) {
	total := 0
	for {
		es, err := o.box.entries(0, 256)
		if err != nil {
			return total, err
		}
		var done []settled
		for _, e := range es {
			if e.Command.Seq > cursor {
				break
			}
			res, ok, err := o.db.Result(e.Command.ID)
			if err != nil {
				return total, fmt.Errorf("read result of command %s: %w", e.Command.ID, err)
			}
			if !ok {
				break
			}
			done = append(done, settled{entry: e, result: res})
		}
		if err := o.box.settle(done, time.Now()); err != nil {
			return total, err
		}
		for _, d := range done {
			if d.result.State == store.StateRejected {
				o.log.Info("outbox command rejected", "command_id", d.entry.Command.ID,
					"seq", d.entry.Command.Seq, "code", d.result.Code)
			}
		}
		total += len(done)
		if len(done) < len(es) || len(es) < 256 {
			return total, nil
		}
	}
}

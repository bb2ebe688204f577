package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"baoxue/store"
)

// Applying an import: the accepted rows (every new row, the changes rows
// the user accepted) in batch commands of the kind's size, submitted
// through the normal write path like any form's write. A batch's command
// id is the import's id and the batch's number, so a batch sent again
// (after a restart, or a Submit whose answer was lost) is answered with
// its first result: no row applies twice. On a cut-off township node
// Submit leaves the batch in the outbox ("pending") and the runner goes on;
// it then waits until the register has answered every batch, which is
// when the outbox has delivered them after the link heals.

// importInFlight is how many batches are submitted at once: enough that
// the leader's log batches them, few enough that one import does not
// crowd out everyone's writes.
const importInFlight = 4

// startApply fixes what is applied and starts the runner. The caller
// holds j.mu; the job is ready and its data loaded.
func (s *Server) startApply(j *importJob, all bool, accepted []int) error {
	kind, _ := store.ImportKindNamed(j.meta.Kind)
	j.meta.AllOK, j.meta.Accepted = all, accepted
	rows := j.plannedRows()
	j.meta.Starts = j.batchStarts(rows, kind.BatchSize)
	for n := range j.meta.Starts {
		j.meta.Batches = append(j.meta.Batches, fmt.Sprintf("%s-b%d", j.meta.ID, n+1))
	}
	j.meta.State, j.meta.Started, j.meta.Total, j.meta.Done = importApplying, s.now(), len(rows), 0
	if err := s.imports.saveMeta(j); err != nil {
		return err
	}
	s.goImport(j)
	return nil
}

// plannedRows are the indexes of the rows to apply, in sheet order. The
// caller holds j.mu.
func (j *importJob) plannedRows() []int {
	var out []int
	for i, c := range j.data.Classes {
		switch {
		case c.Class == store.RowNew:
			out = append(out, i)
		case c.Class == store.RowChanges && (j.meta.AllOK || slices.Contains(j.meta.Accepted, c.Row)):
			out = append(out, i)
		}
	}
	return out
}

// importBatchBytes bounds a batch's rows by their size as well as their
// number: a township's outbox forwards up to 128 commands in one call
// (sync's ForwardBatch), which must stay under the cluster port's 32 MB
// limit on a call (sync/rpc.go) however many batches waited while it was
// cut off.
const importBatchBytes = 160 << 10

// batchStarts cuts the rows to apply into batches of at most size rows and
// about importBatchBytes (a row's plan, or its cells where the kind keeps
// no plan), and returns where each batch starts. The caller holds j.mu.
func (j *importJob) batchStarts(rows []int, size int) []int {
	var starts []int
	n, bytes := 0, 0
	for i, x := range rows {
		b := len(j.data.Classes[x].Plan) + 64
		if len(j.data.Classes[x].Plan) == 0 {
			for _, v := range j.data.Sheet.Rows[x] {
				b += len(v) + 16
			}
		}
		if i == 0 || n == size || bytes+b > importBatchBytes {
			starts = append(starts, i)
			n, bytes = 0, 0
		}
		n, bytes = n+1, bytes+b
	}
	return starts
}

// batchRows are batch b's rows among rows.
func batchRows(rows, starts []int, b int) []int {
	end := len(rows)
	if b+1 < len(starts) {
		end = starts[b+1]
	}
	return rows[starts[b]:end]
}

// goImport runs an applying job in the background until it ends or the
// server closes.
func (s *Server) goImport(j *importJob) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		if err := s.runImport(s.bgCtx, j); err != nil && !errors.Is(err, context.Canceled) {
			s.log.Error("import", "import", j.meta.ID, "err", err)
			s.failImport(j, &importFailure{"internal", "", "the import stopped: " + err.Error()})
		}
	}()
}

func (s *Server) runImport(ctx context.Context, j *importJob) error {
	j.mu.Lock()
	kind, _ := store.ImportKindNamed(j.meta.Kind)
	if err := s.imports.loadData(j, kind); err != nil {
		j.mu.Unlock()
		return err
	}
	rows, batches, starts, user := j.plannedRows(), j.meta.Batches, j.meta.Starts, j.meta.User
	j.mu.Unlock()
	u, err := s.db.User(user)
	if err != nil {
		return fmt.Errorf("user %s: %w", user, err)
	}
	actor := store.Actor{User: u.Username, Role: u.Role, Node: s.cfg.NodeID}
	// Progress is counted from the register's answers while the batches
	// are still being submitted.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var serr error
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		if serr = s.submitBatches(ctx, j, kind, rows, starts, batches, actor); serr != nil {
			cancel() // ends the wait below
		}
	}()
	err = s.awaitBatches(ctx, j, rows, starts, batches)
	cancel()
	<-sent
	if serr != nil && !errors.Is(serr, context.Canceled) {
		return serr
	}
	return err
}

// submitBatches submits every batch, importInFlight at a time.
func (s *Server) submitBatches(ctx context.Context, j *importJob, kind *store.ImportKind, rows, starts []int, batches []string, actor store.Actor) error {
	sem := make(chan struct{}, importInFlight)
	errc := make(chan error, len(batches))
	for b, id := range batches {
		part := batchRows(rows, starts, b)
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		go func() {
			defer func() { <-sem }()
			errc <- s.submitBatch(ctx, j, kind, id, part, actor)
		}()
	}
	var first error
	for range batches {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// submitBatch sends one batch unless the register has answered it or it
// waits in the outbox already. A register that cannot take writes now is
// tried again with back-off.
func (s *Server) submitBatch(ctx context.Context, j *importJob, kind *store.ImportKind, id string, part []int, actor store.Actor) error {
	if _, ok, _ := s.db.Result(id); ok {
		return nil
	}
	if _, ok, _ := s.cfg.Pending.PendingCommand(id); ok {
		return nil
	}
	j.mu.Lock()
	rows := make([]store.ImportRow, len(part))
	classes := make([]store.RowClass, len(part))
	for i, x := range part {
		rows[i], classes[i] = importRowAt(j.data.Sheet, j.data.Keys, x), j.data.Classes[x]
	}
	importID := j.meta.ID
	j.mu.Unlock()
	cmd, err := store.NewCommand(id, actor, kind.Batch(importID, rows, classes))
	if err != nil {
		return err
	}
	wait := time.Second
	for {
		_, err := s.rep.Submit(ctx, cmd)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrDiskFull) {
			return fmt.Errorf("submit %s: %w", id, err)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// awaitBatches waits until the register has answered every batch, counting
// progress, then records the outcome.
func (s *Server) awaitBatches(ctx context.Context, j *importJob, rows, starts []int, batches []string) error {
	results := make([]*store.Result, len(batches))
	for {
		done := 0
		for b, id := range batches {
			if results[b] == nil {
				if r, ok, err := s.db.Result(id); err != nil {
					return err
				} else if ok {
					results[b] = &r
				}
			}
			if results[b] != nil {
				done += len(batchRows(rows, starts, b))
			}
		}
		j.mu.Lock()
		j.meta.Done = done
		j.mu.Unlock()
		if done == len(rows) {
			break
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.meta.Rejected = nil
	for b, r := range results {
		if r.Applied() {
			j.meta.Rejected = append(j.meta.Rejected, r.Rows...)
			continue
		}
		for _, x := range batchRows(rows, starts, b) { // the whole batch refused
			j.meta.Rejected = append(j.meta.Rejected, store.RowResult{Row: j.data.Classes[x].Row, Code: r.Code, Field: r.Field, Reason: r.Reason})
		}
	}
	j.meta.Applied = len(rows) - len(j.meta.Rejected)
	j.meta.Skipped = len(j.data.Classes) - len(rows) - j.meta.Counts[store.RowError]
	j.meta.State, j.meta.Finished = importApplied, s.now()
	j.data = nil // kept in the local file, read again when asked for: an applied import is rarely looked at again
	return s.imports.saveMeta(j)
}

package node

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"baoxue/store"
	"baoxue/store/synth"
	ledgersync "baoxue/sync"
)

// LoadDemo writes a synthetic district into the register through the same
// command path as real data: org tree, example users (all with password),
// children and their status changes. Command ids are derived from the seed,
// so a load that was interrupted can be run again without duplicates.
// progress, if not nil, is called after each stage.
func (n *Node) LoadDemo(ctx context.Context, d *synth.District, seed int64, password string, progress func(stage string, count int)) error {
	actor := store.Actor{User: "admin", Role: store.RoleAdmin, Node: n.cfg.NodeID}
	id := func(kind string, i int) string { return fmt.Sprintf("demo:%d:%s:%d", seed, kind, i) }
	stage := func(name, kind string, count int, payload func(int) any) ([]store.Result, error) {
		rs, err := n.submitAll(ctx, count, func(i int) (store.Command, error) {
			return store.NewCommand(id(kind, i), kind, actor, payload(i))
		}, demoWorkers)
		if err != nil {
			return nil, fmt.Errorf("demo %s: %w", name, err)
		}
		for i, r := range rs {
			if !r.Applied() {
				return nil, fmt.Errorf("demo %s %d rejected: %s", name, i, r.Reason)
			}
		}
		if progress != nil {
			progress(name, len(rs))
		}
		return rs, nil
	}
	if _, err := stage("townships", store.KindTownshipCreate, len(d.Townships), func(i int) any { return d.Townships[i] }); err != nil {
		return err
	}
	if _, err := stage("villages", store.KindVillageCreate, len(d.Villages), func(i int) any { return d.Villages[i] }); err != nil {
		return err
	}
	if _, err := stage("groups", store.KindGroupCreate, len(d.Groups), func(i int) any { return d.Groups[i] }); err != nil {
		return err
	}
	if _, err := stage("schools", store.KindSchoolCreate, len(d.Schools), func(i int) any { return d.Schools[i] }); err != nil {
		return err
	}
	hash, err := store.HashPassword(password)
	if err != nil {
		return err
	}
	users := make([]any, len(d.Users))
	for i, u := range d.Users {
		sc, err := store.ParseScope(u.Scope)
		if err != nil {
			return fmt.Errorf("demo user %s: %w", u.Username, err)
		}
		users[i] = store.UserCreate{User: store.User{Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, Line: u.Line, Scope: sc, PasswordHash: hash}}
	}
	if _, err := stage("users", store.KindUserCreate, len(users), func(i int) any { return users[i] }); err != nil {
		return err
	}
	rs, err := stage("students", store.KindStudentCreate, len(d.Students), func(i int) any { return &d.Students[i] })
	if err != nil {
		return err
	}
	// Responsibility assignments, status changes (dropouts as dropout
	// reports, which open their cases) and the cases' visits, legal steps
	// and closes: demo_cases.go.
	return n.loadCases(ctx, d, rs, actor, id, progress)
}

// demoWorkers is how many commands LoadDemo keeps in flight. When the
// register is the bottleneck, Raft queues up to 128 committed batches for
// it, each as large as what arrived while the log was appended (one fsync):
// the in-flight commands spread over those 128, so 4,096 gives batches of
// ~32, where 64 in flight gave batches of one and the demo took 4x longer.
// Not more: the last in the queue must be applied within ApplyTimeout
// (10 s) on a busy machine too.
const demoWorkers = 4096

// submitAll submits count commands from several goroutines, so that
// replication batches them into few log appends and register transactions,
// and returns the results in the commands' order. cmd builds command i when
// it is sent, so that a large district is never held as commands too.
func (n *Node) submitAll(ctx context.Context, count int, cmd func(int) (store.Command, error), workers int) ([]store.Result, error) {
	results := make([]store.Result, count)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for w := 0; w < min(workers, count); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c, err := cmd(i)
				var r store.Result
				if err == nil {
					r, err = n.rep.Submit(ctx, c)
				}
				// A command not applied within ApplyTimeout may still be:
				// sending it again (same id) is answered with its one result.
				for try := 0; try < 5 && errors.Is(err, ledgersync.ErrTimeout); try++ {
					r, err = n.rep.Submit(ctx, c)
				}
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				results[i] = r
			}
		}()
	}
feed:
	for i := range count {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return results, firstErr
}

package node

import (
	"context"
	"fmt"
	"sync"

	"baoxue/store"
	"baoxue/store/synth"
)

// LoadDemo writes a synthetic district into the register through the same
// command path as real data: org tree, example users (all with password),
// children and their status changes. Command ids are derived from the seed,
// so a load that was interrupted can be run again without duplicates.
// progress, if not nil, is called after each stage.
func (n *Node) LoadDemo(ctx context.Context, d *synth.District, seed int64, password string, progress func(stage string, count int)) error {
	actor := store.Actor{User: "admin", Role: store.RoleAdmin, Node: n.cfg.NodeID}
	id := func(kind string, i int) string { return fmt.Sprintf("demo:%d:%s:%d", seed, kind, i) }
	stage := func(name, kind string, payloads []store.Payload) ([]store.Result, error) {
		cmds := make([]store.Command, len(payloads))
		for i, p := range payloads {
			c, err := store.NewCommand(id(kind, i), actor, p)
			if err != nil {
				return nil, err
			}
			cmds[i] = c
		}
		rs, err := n.submitAll(ctx, cmds, 64)
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
	anys := func(n int, at func(int) store.Payload) []store.Payload {
		out := make([]store.Payload, n)
		for i := range out {
			out[i] = at(i)
		}
		return out
	}
	if _, err := stage("townships", store.KindTownshipCreate, anys(len(d.Townships), func(i int) store.Payload { return store.TownshipCreate{Township: d.Townships[i]} })); err != nil {
		return err
	}
	if _, err := stage("villages", store.KindVillageCreate, anys(len(d.Villages), func(i int) store.Payload { return store.VillageCreate{Village: d.Villages[i]} })); err != nil {
		return err
	}
	if _, err := stage("groups", store.KindGroupCreate, anys(len(d.Groups), func(i int) store.Payload { return store.GroupCreate{Group: d.Groups[i]} })); err != nil {
		return err
	}
	if _, err := stage("schools", store.KindSchoolCreate, anys(len(d.Schools), func(i int) store.Payload { return store.SchoolCreate{School: d.Schools[i]} })); err != nil {
		return err
	}
	hash, err := store.HashPassword(password)
	if err != nil {
		return err
	}
	users := make([]store.Payload, len(d.Users))
	for i, u := range d.Users {
		sc, err := store.ParseScope(u.Scope)
		if err != nil {
			return fmt.Errorf("demo user %s: %w", u.Username, err)
		}
		users[i] = store.UserCreate{User: store.User{Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, Line: u.Line, Scope: sc, PasswordHash: hash}}
	}
	if _, err := stage("users", store.KindUserCreate, users); err != nil {
		return err
	}
	rs, err := stage("students", store.KindStudentCreate, anys(len(d.Students), func(i int) store.Payload { return store.StudentCreate{StudentFields: d.Students[i]} }))
	if err != nil {
		return err
	}
	// Responsibility assignments, status changes (dropouts as dropout
	// reports, which open their cases) and the cases' visits, legal steps
	// and closes: demo_cases.go.
	if err := n.loadCases(ctx, d, rs, actor, id, progress); err != nil {
		return err
	}
	// The school calendar and a term of roll calls: demo_attendance.go.
	return n.loadAttendance(ctx, d, seed, rs, actor, id, progress)
}

// submitAll submits commands from several goroutines, so that replication
// batches them into few log appends and register transactions, and returns
// the results in the commands' order.
func (n *Node) submitAll(ctx context.Context, cmds []store.Command, workers int) ([]store.Result, error) {
	results := make([]store.Result, len(cmds))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r, err := n.rep.Submit(ctx, cmds[i])
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				results[i] = r
			}
		}()
	}
feed:
	for i := range cmds {
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

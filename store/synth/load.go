package synth

import (
	"context"
	"fmt"
	"sync"

	"baoxue/store"
)

// Submitter sends one command through replication and returns its result,
// as the web handlers do (node.Node is one). Load calls it from several
// goroutines at once.
type Submitter interface {
	Submit(ctx context.Context, cmd store.Command) (store.Result, error)
}

// Load writes a synthetic district into a register through the same command
// path as real data, as the admin user at node nodeID: org tree, example users
// (all with password), children, responsibility assignments, status changes
// and cases, the school calendar and a term of roll calls up to today.
// Command ids are derived from the seed, so a load that was
// interrupted can be run again without duplicates. progress, if not nil, is
// called after each stage. It returns the first submit error or rejection.
func Load(ctx context.Context, sub Submitter, nodeID string, d *District, seed int64, password string,
	progress func(stage string, count int)) error {
	l := &loader{ctx: ctx, sub: sub, seed: seed, progress: progress,
		actor: store.Actor{User: "admin", Role: store.RoleAdmin, Node: nodeID}}
	if err := l.org(d, password); err != nil {
		return err
	}
	rs, err := l.stage("students", store.KindStudentCreate, wrap(d.Students, func(f store.StudentFields) store.Payload { return store.StudentCreate{StudentFields: f} }))
	if err != nil {
		return err
	}
	if err := l.assignments(d, rs); err != nil {
		return err
	}
	caseIDs, err := l.statusChanges(d, rs)
	if err != nil {
		return err
	}
	if err := l.cases(d, rs, caseIDs); err != nil {
		return err
	}
	return l.attendance(d, rs) // the calendar and a term of roll calls: load_attendance.go
}

// loader is one Load.
type loader struct {
	ctx      context.Context
	sub      Submitter
	seed     int64
	actor    store.Actor
	progress func(stage string, count int)
}

// id is the command id of the i-th command of a kind.
func (l *loader) id(kind string, i int) string { return fmt.Sprintf("demo:%d:%s:%d", l.seed, kind, i) }

func (l *loader) report(stage string, count int) {
	if l.progress != nil {
		l.progress(stage, count)
	}
}

// org loads the townships, villages, groups, schools and example users.
func (l *loader) org(d *District, password string) error {
	if _, err := l.stage("townships", store.KindTownshipCreate, wrap(d.Townships, func(t store.Township) store.Payload { return store.TownshipCreate{Township: t} })); err != nil {
		return err
	}
	if _, err := l.stage("villages", store.KindVillageCreate, wrap(d.Villages, func(v store.Village) store.Payload { return store.VillageCreate{Village: v} })); err != nil {
		return err
	}
	if _, err := l.stage("groups", store.KindGroupCreate, wrap(d.Groups, func(g store.Group) store.Payload { return store.GroupCreate{Group: g} })); err != nil {
		return err
	}
	if _, err := l.stage("schools", store.KindSchoolCreate, wrap(d.Schools, func(sc store.School) store.Payload { return store.SchoolCreate{School: sc} })); err != nil {
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
	_, err = l.stage("users", store.KindUserCreate, users)
	return err
}

// stage submits one command of kind per payload, concurrently, and fails on
// the first rejection.
func (l *loader) stage(name, kind string, payloads []store.Payload) ([]store.Result, error) {
	cmds := make([]store.Command, len(payloads))
	for i, p := range payloads {
		c, err := store.NewCommand(l.id(kind, i), l.actor, p)
		if err != nil {
			return nil, err
		}
		cmds[i] = c
	}
	rs, err := l.submitAll(cmds, 64)
	if err != nil {
		return nil, fmt.Errorf("demo %s: %w", name, err)
	}
	for i, r := range rs {
		if !r.Applied() {
			return nil, fmt.Errorf("demo %s %d rejected: %s", name, i, r.Reason)
		}
	}
	l.report(name, len(rs))
	return rs, nil
}

// submit submits one command and fails when it is rejected.
func (l *loader) submit(what string, i int, kind string, payload store.Payload) (store.Result, error) {
	c, err := store.NewCommand(l.id(kind, i), l.actor, payload)
	if err != nil {
		return store.Result{}, err
	}
	r, err := l.sub.Submit(l.ctx, c)
	if err != nil {
		return r, fmt.Errorf("demo %s %d: %w", what, i, err)
	}
	if !r.Applied() {
		return r, fmt.Errorf("demo %s %d rejected: %s", what, i, r.Reason)
	}
	return r, nil
}

// submitAll submits commands from several goroutines, so that replication
// batches them into few log appends and register transactions, and returns
// the results in the commands' order.
func (l *loader) submitAll(cmds []store.Command, workers int) ([]store.Result, error) {
	results := make([]store.Result, len(cmds))
	ctx, cancel := context.WithCancel(l.ctx)
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
				r, err := l.sub.Submit(ctx, cmds[i])
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

// wrap makes the payload of each record: the create command's payload type.
func wrap[T any](xs []T, payload func(T) store.Payload) []store.Payload {
	out := make([]store.Payload, len(xs))
	for i, x := range xs {
		out[i] = payload(x)
	}
	return out
}

package synth

import (
	"context"
	"errors"
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
// and cases, the school calendar and a term of roll calls up to today, and
// a year of monthly reports (when sub reads its register: load_reports.go).
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
	if err := l.attendance(d, rs); err != nil { // the calendar and a term of roll calls: load_attendance.go
		return err
	}
	return l.reports(d) // a year of monthly reports: load_reports.go
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
	_, err = l.stage("users", store.KindUserCreate, wrap(users, func(p store.Payload) store.Payload { return p }))
	return err
}

// stage submits one command of kind per payload, concurrently, and fails on
// the first rejection.
func (l *loader) stage(name, kind string, ps payloads) ([]store.Result, error) {
	rs, err := l.submitAll(ps.n, func(i int) (store.Command, error) {
		return store.NewCommand(l.id(kind, i), l.actor, ps.at(i))
	})
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

// inFlight is how many commands submitAll keeps in flight. When the
// register is the bottleneck, Raft queues up to 128 committed batches for
// it, each as large as what arrived while the log was appended (one fsync):
// the commands in flight spread over those 128, so 4,096 gives batches of
// ~32, where 64 in flight gave batches of one and the demo took 4x longer
// (sync/DESIGN.md, "Where the time goes"). Not more: the last in the queue
// must be applied within ApplyTimeout (10 s) on a busy machine too.
const inFlight = 4096

// submitAll submits count commands from several goroutines, so that
// replication batches them into few log appends and register transactions,
// and returns the results in the commands' order. cmd builds command i when
// it is sent, so that a large district is never held as commands too.
func (l *loader) submitAll(count int, cmd func(int) (store.Command, error)) ([]store.Result, error) {
	results := make([]store.Result, count)
	ctx, cancel := context.WithCancel(l.ctx)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for w := 0; w < min(inFlight, count); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r, err := l.send(ctx, cmd, i)
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

// send builds command i and submits it. A command not applied within the
// node's ApplyTimeout may still be: it is sent again (same id, answered with
// its one result), up to five times.
func (l *loader) send(ctx context.Context, cmd func(int) (store.Command, error), i int) (store.Result, error) {
	c, err := cmd(i)
	if err != nil {
		return store.Result{}, err
	}
	r, err := l.sub.Submit(ctx, c)
	for try := 0; try < 5 && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil; try++ {
		r, err = l.sub.Submit(ctx, c)
	}
	return r, err
}

// payloads are the n payloads of a stage, made one at a time when sent:
// boxing a million children up front held a copy of each for the whole load.
type payloads struct {
	n  int
	at func(int) store.Payload
}

// wrap makes the payload of each record: the create command's payload type.
func wrap[T any](xs []T, payload func(T) store.Payload) payloads {
	return payloads{len(xs), func(i int) store.Payload { return payload(xs[i]) }}
}

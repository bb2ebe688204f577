package synth

import (
	"context"
	"errors"
	"fmt"
	"iter"
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
	ids, err := l.students(d)
	if err != nil {
		return err
	}
	if err := l.assignments(d, ids); err != nil {
		return err
	}
	caseIDs, err := l.statusChanges(d, ids)
	if err != nil {
		return err
	}
	if err := l.cases(d, ids, caseIDs); err != nil {
		return err
	}
	if err := l.attendance(d, ids); err != nil { // the calendar and a term of roll calls: load_attendance.go
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

// stage submits one command of kind per payload, concurrently, fails on
// the first rejection, and returns the record ids the register gave.
func (l *loader) stage(name, kind string, ps payloads) ([]string, error) {
	ids := make([]string, ps.n)
	err := l.submitAll(name, ps.n, func(i int) (store.Command, error) {
		return store.NewCommand(l.id(kind, i), l.actor, ps.at(i))
	}, func(i int, r store.Result) error {
		if !r.Applied() {
			return fmt.Errorf("demo %s %d rejected: %s", name, i, r.Reason)
		}
		ids[i] = r.RecordID
		return nil
	})
	if err != nil {
		return nil, err
	}
	l.report(name, ps.n)
	return ids, nil
}

// students registers the children, made one at a time as they are sent
// (District.Children): a planned district of 1,000,000 children is never
// held as records. It returns the ids the register gave them, by index.
func (l *loader) students(d *District) ([]string, error) {
	next, stop := iter.Pull2(d.Children())
	defer stop()
	return l.stage("students", store.KindStudentCreate, payloads{d.NumStudents(), func(i int) store.Payload {
		j, f, ok := next()
		if !ok || j != i { // submitAll asks for them in order, once each
			panic(fmt.Sprintf("synth: child %d asked for, %d (%v) made", i, j, ok))
		}
		return store.StudentCreate{StudentFields: f}
	}})
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
// and hands each result to done (from those goroutines, each index once;
// an error from done, returned as it is, stops the stage; a failed submit
// is returned as "demo what: …"). cmd builds command i when it is
// sent, in order from one goroutine, so that a large district is never
// held as commands, nor its results kept beyond what done keeps.
func (l *loader) submitAll(what string, count int, cmd func(int) (store.Command, error), done func(i int, r store.Result) error) error {
	ctx, cancel := context.WithCancel(l.ctx)
	defer cancel()
	type job struct {
		i int
		c store.Command
	}
	next := make(chan job)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	fail := func(err error) { once.Do(func() { firstErr = err; cancel() }) }
	for w := 0; w < min(inFlight, count); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				r, err := l.send(ctx, j.c)
				if err != nil {
					err = fmt.Errorf("demo %s: %w", what, err)
				} else {
					err = done(j.i, r)
				}
				if err != nil {
					fail(err)
					return
				}
			}
		}()
	}
feed:
	for i := range count {
		c, err := cmd(i)
		if err != nil {
			fail(fmt.Errorf("demo %s: %w", what, err))
			break
		}
		select {
		case next <- job{i, c}:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = fmt.Errorf("demo %s: %w", what, ctx.Err())
	}
	return firstErr
}

// send submits c. A command not applied within the node's ApplyTimeout may
// still be: it is sent again (same id, answered with its one result), up
// to five times.
func (l *loader) send(ctx context.Context, c store.Command) (store.Result, error) {
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

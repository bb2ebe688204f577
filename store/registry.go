package store

import (
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
)

// Payload is the content of a command. Each payload type belongs to one
// command kind and names it, so a command is built from its payload
// (NewCommand) and the kind cannot be mistyped.
type Payload interface{ Kind() string }

// Authority says who may issue a command of a kind. It is checked once, by
// the apply engine before the kind's apply function runs (as etcd wraps its
// applier for auth): the actor must be a user on the register with the role
// the kind needs. Whether the record is in the actor's scope depends on the
// record, so the apply function checks that (requireScope, requireUnitWrite).
type Authority int

const (
	_ Authority = iota // not declared: the registry test fails
	// Anyone: no user needed. district.init, because the register has no
	// users yet (it needs an empty register); cluster.join, because the join
	// token's secret is its authority (cluster.go).
	Anyone
	// Reader: any user on the register, a viewer too (reads recorded as
	// commands, case.read).
	Reader
	// Writer: a user who may write, that is not a viewer. The apply function
	// checks that the record is in the user's scope.
	Writer
	// Admin: administrators only (the org tree, users, settings, cluster).
	Admin
)

func (w Authority) String() string {
	switch w {
	case Anyone:
		return "anyone"
	case Reader:
		return "reader"
	case Writer:
		return "writer"
	case Admin:
		return "admin"
	}
	return "undeclared"
}

// kindSpec declares one command kind, in the file of its concern. Every
// part is required (TestRegistryIsComplete).
type kindSpec[P Payload] struct {
	// Who may issue it.
	Who Authority
	// Check trims and checks a payload on its own, without the register,
	// the same function the ui calls (through store.Check) for a 400 before
	// it submits. The apply function calls it again at the point its rules
	// need (so that an error's order stays what the register answered
	// before). Errors are *FieldError.
	Check func(*P) error
	// Target is the existing record the command changes as the pages name it
	// (a child's id, a case's id or a ReportRef): sync marks it pending
	// while the command waits in an outbox. "" when the command creates its
	// record or changes none that a page shows (use noTarget).
	Target func(*P) string
	// Apply applies an authorised command. It checks what depends on the
	// register (existence, scope, state, versions) before its first write
	// and reports its outcome with a.done.
	Apply func(a *applyCtx, p *P) error
}

// entry is a kindSpec with its payload type erased, as the engine uses it.
type entry struct {
	kind    string
	payload reflect.Type
	who     Authority
	check   func(p Payload) error // nil when not declared
	target  func(raw json.RawMessage) string
	apply   func(a *applyCtx) error
	// declared parts, for the registry test
	hasCheck, hasTarget, hasApply bool
}

var registry = map[string]*entry{}

// register adds a kind to the registry; each concern calls it from a var
// declaration beside its apply functions. A kind registered twice panics at
// start-up.
func register[P Payload](s kindSpec[P]) bool {
	var zero P
	kind := zero.Kind()
	if _, dup := registry[kind]; dup {
		panic("store: command kind " + strconv.Quote(kind) + " registered twice")
	}
	e := &entry{kind: kind, payload: reflect.TypeFor[P](), who: s.Who,
		hasCheck: s.Check != nil, hasTarget: s.Target != nil, hasApply: s.Apply != nil}
	if s.Check != nil {
		e.check = func(p Payload) error {
			switch v := any(p).(type) {
			case *P:
				return s.Check(v)
			case P:
				return s.Check(&v)
			}
			return fieldErr("kind", "format", "payload is not a "+kind)
		}
	}
	e.target = func(raw json.RawMessage) string {
		var p P
		if s.Target == nil || json.Unmarshal(raw, &p) != nil {
			return ""
		}
		return s.Target(&p)
	}
	e.apply = func(a *applyCtx) error {
		var p P
		if err := json.Unmarshal(a.e.Command.Payload, &p); err != nil {
			return reject(CodeInvalid, "payload: "+err.Error())
		}
		return s.Apply(a, &p)
	}
	registry[kind] = e
	return true
}

// noTarget is the Target of a kind that creates its record or changes none
// that a page shows as pending.
func noTarget[P any](*P) string { return "" }

// KnownKind reports whether kind is a registered command kind.
func KnownKind(kind string) bool { return registry[kind] != nil }

// Kinds lists the registered command kinds, sorted.
func Kinds() []string {
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TargetOf is the existing record cmd changes, as the pages name it (a
// child's id, a case's id or a ReportRef), or "" when it creates its record,
// changes none a page shows, or is of an unknown kind. sync uses it to mark
// the record pending while cmd waits in an outbox.
func TargetOf(cmd Command) string {
	e := registry[cmd.Kind]
	if e == nil {
		return ""
	}
	return e.target(cmd.Payload)
}

// Check trims and checks p on its own with its kind's Check (the same the
// register applies), for a 400 before a command is submitted. p may be a
// payload value or a pointer to one; through a pointer, the trimmed values
// are kept. Errors are *FieldError.
func Check(p Payload) error {
	e := registry[p.Kind()]
	if e == nil || e.check == nil {
		return fieldErr("kind", "format", "unknown command kind "+strconv.Quote(p.Kind()))
	}
	return e.check(p)
}

// authorize is the one authority check, wrapped around every apply
// function: it finds the actor in the register and checks the role the
// kind needs.
func authorize(a *applyCtx, e *entry) error {
	if e.who == Anyone {
		return nil
	}
	if a.tx.Bucket(bucketMeta).Get(keyDistrict) == nil {
		return reject(CodeState, "the register has no district yet")
	}
	if !usersCache.get(a.tx.Bucket(bucketUsers), []byte(a.e.Command.Actor.User), &a.actor) { // decodecache.go
		return reject(CodeForbidden, "unknown user "+strconv.Quote(a.e.Command.Actor.User))
	}
	switch {
	case e.who == Admin && a.actor.Role != RoleAdmin:
		return reject(CodeForbidden, "only an administrator may change the org tree and users")
	case e.who == Writer && !a.actor.CanWrite():
		return reject(CodeForbidden, "user "+a.actor.Username+" may only read")
	}
	return nil
}

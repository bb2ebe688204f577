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
	// Recorder: any user on the register, a viewer or a disabled one too:
	// the record of a read already made (case.read, bulk.read), which the
	// audit keeps even when it reaches the leader after the reader was
	// disabled (a cut-off node showed the case before it learnt of it).
	Recorder
	// Reader: any active user on the register, a viewer too (a user's own
	// password: user.rehash, user.password).
	Reader
	// Writer: a user who may write, that is not a viewer. The apply function
	// checks that the record is in the user's scope.
	Writer
	// Admin: administrators only (the org tree, users, settings, cluster).
	Admin
)

// Reach says from which nodes the leader takes a kind's commands. The node
// of a command (Actor.Node) is the one whose certificate sent it to the
// leader: sync stamps it there, never trusting the payload. A node serves
// a township when the node registry gives it one (ClusterNode.Township); a
// bureau node is a voter without a township. It is checked once, by the
// engine (authorizeNode), after the authority; a node the registry does not
// list (the first node before it registers itself) is not limited.
type Reach int

const (
	_ Reach = iota // not declared: the registry test fails
	// TownshipNode: from any node, but from a node that serves a township
	// only by a user whose scope lies within it (children, cases,
	// assignments). A stolen township PC can at worst act there.
	TownshipNode
	// BureauNode: only from a bureau node (users, settings, the org tree,
	// cluster tokens and membership, district.init, cluster.join).
	BureauNode
	// AnyNode: from any node, by any user: the record of something that
	// already happened at that node (case.read, R22), so that a district
	// user's read at a township office is not lost from the trail.
	AnyNode
)

func (w Authority) String() string {
	switch w {
	case Anyone:
		return "anyone"
	case Recorder:
		return "recorder"
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
	// Nodes says from which nodes (Reach).
	Nodes Reach
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
	// V is the newest payload version (Command.V) Apply understands; 0
	// means 1. Raise it when a payload's meaning changes, and make Apply
	// handle every version up to it: nodes of the previous release stop
	// applying at the first command of the new version (sync/DESIGN.md).
	V int
}

// entry is a kindSpec with its payload type erased, as the engine uses it.
type entry struct {
	kind    string
	payload reflect.Type
	who     Authority
	nodes   Reach
	check   func(p Payload) error // nil when not declared
	target  func(raw json.RawMessage) string
	apply   func(a *applyCtx) error
	decode  func(raw json.RawMessage) any // the payload as a *P, nil if it does not decode
	v       int                           // newest payload version understood, at least 1
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
	e := &entry{kind: kind, payload: reflect.TypeFor[P](), who: s.Who, nodes: s.Nodes, v: max(s.V, 1),
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
		if s.Target == nil || unmarshal(raw, &p) != nil {
			return ""
		}
		return s.Target(&p)
	}
	e.decode = func(raw json.RawMessage) any {
		p := new(P)
		if unmarshal(raw, p) != nil {
			return nil
		}
		return p
	}
	e.apply = func(a *applyCtx) error {
		if p, ok := a.e.payload.(*P); ok { // Entry.Decode
			return s.Apply(a, p)
		}
		var p P
		if err := unmarshal(a.e.Command.Payload, &p); err != nil {
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

// fromNoUser reports whether kind is issued without a user (Anyone).
func fromNoUser(kind string) bool {
	e := registry[kind]
	return e != nil && e.who == Anyone
}

// KnownKind reports whether kind is a registered command kind.
func KnownKind(kind string) bool { return registry[kind] != nil }

// Understands reports whether this program can apply cmd: its kind is
// registered and its payload version (Command.V, 0 meaning 1) is one the
// kind's Apply knows. A command it does not understand must not be applied
// at all: ApplyBatch refuses it with ErrNotUnderstood, and sync stops
// applying the log there until the node is upgraded.
func Understands(cmd Command) bool {
	e := registry[cmd.Kind]
	return e != nil && max(cmd.V, 1) <= e.v
}

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

// authorizeNode is the one check of the node a command came from (Reach),
// made after authorize has found the actor: a node that serves a township
// acts only for users within it, and only a bureau node sends the
// bureau's kinds. A removed node sends nothing.
func authorizeNode(a *applyCtx, e *entry) error {
	var n ClusterNode
	if e.nodes == AnyNode || !nodesCache.getVia(a.g, a.tx.Bucket(bucketClusterNodes), []byte(a.e.Command.Actor.Node), &n) {
		return nil
	}
	switch {
	case n.Removed:
		return reject(CodeForbidden, "node "+n.ID+" was removed from the cluster")
	case e.nodes != TownshipNode && (!n.Voter || n.Township != ""):
		return reject(CodeForbidden, "only a bureau node (a voter without a township) may send "+e.kind+"; node "+n.ID+" may not")
	case n.Township != "" && e.who != Anyone && !scopeWithin(a, a.actor.Scope, n.Township):
		return reject(CodeForbidden, "user "+a.actor.Username+" is not of township "+n.Township+", which node "+n.ID+" serves")
	}
	return nil
}

// scopeWithin reports whether scope lies within township: the township
// itself, or one of its schools (or a class of one).
func scopeWithin(a *applyCtx, scope Scope, township string) bool {
	switch scope.Kind {
	case ScopeTownship:
		return scope.Code == township
	case ScopeSchool, ScopeClass:
		var s School
		return schoolsCache.get(a.tx.Bucket(bucketSchools), []byte(scope.Code), &s) && s.TownshipCode == township
	}
	return false
}

// authorize is the one authority check, wrapped around every apply
// function: it finds the actor in the register and checks the role the
// kind needs.
func authorize(a *applyCtx, e *entry) error {
	if e.who == Anyone {
		return nil
	}
	if a.g.get(a.tx.Bucket(bucketMeta), keyDistrict) == nil {
		return reject(CodeState, "the register has no district yet")
	}
	if !usersCache.getVia(a.g, a.tx.Bucket(bucketUsers), []byte(a.e.Command.Actor.User), &a.actor) { // decodecache.go
		return reject(CodeForbidden, "unknown user "+strconv.Quote(a.e.Command.Actor.User))
	}
	switch {
	case a.actor.Disabled && e.who != Recorder:
		return reject(CodeForbidden, "user "+a.actor.Username+" is disabled")
	case e.who == Admin && a.actor.Role != RoleAdmin:
		return reject(CodeForbidden, "only an administrator may change the org tree and users")
	case e.who == Writer && !a.actor.CanWrite():
		return reject(CodeForbidden, "user "+a.actor.Username+" may only read")
	}
	return nil
}

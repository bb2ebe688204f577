package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// rejection is a command refused by the register. It is a result, not a
// failure: it is stored and answered like an applied command.
type rejection struct {
	code, field, reason, existingID string
}

func (r *rejection) Error() string { return r.reason }

func reject(code, reason string) *rejection { return &rejection{code: code, reason: reason} }

// chinaTime is the zone in which dates are compared ("not in the future").
// A fixed zone, so Apply does not depend on the machine's tz database.
var chinaTime = time.FixedZone("CST", 8*3600)

// applyCtx carries one command through its handler.
type applyCtx struct {
	tx    *bolt.Tx
	e     Entry
	actor User // from the register; zero for district.init
	at    time.Time

	// set by the handler on success
	target   string
	changes  []Change
	recordID string
	version  uint64
	ix       []indexEntry
}

type handler func(a *applyCtx) error

var handlers = map[string]handler{
	KindDistrictInit:   applyDistrictInit,
	KindTownshipCreate: applyTownshipCreate,
	KindVillageCreate:  applyVillageCreate,
	KindGroupCreate:    applyGroupCreate,
	KindSchoolCreate:   applySchoolCreate,
	KindUserCreate:     applyUserCreate,
	KindStudentCreate:  applyStudentCreate,
	KindStudentUpdate:  applyStudentUpdate,
	KindStudentStatus:  applyStudentStatus,

	// cases and responsibility assignments (case.go, assignment.go)
	KindCaseReport:       applyCaseReport,
	KindCaseVisit:        applyCaseVisit,
	KindCaseEscalate:     applyCaseEscalate,
	KindCaseStepUpdate:   applyCaseStepUpdate,
	KindCaseClose:        applyCaseClose,
	KindCaseSettings:     applyCaseSettings,
	KindCaseRead:         applyCaseRead, // case_read.go
	KindAssignmentCreate: applyAssignmentCreate,
	KindAssignmentEnd:    applyAssignmentEnd,

	// cluster registry and join tokens (cluster.go)
	KindClusterToken:  applyClusterToken,
	KindClusterJoin:   applyClusterJoin,
	KindClusterMember: applyClusterMember,
}

// Apply applies one committed command. See ApplyBatch.
func (db *DB) Apply(e Entry) (Result, error) {
	rs, err := db.ApplyBatch([]Entry{e})
	if err != nil {
		return Result{}, err
	}
	return rs[0], nil
}

// ApplyBatch applies committed commands in order, in one bbolt transaction,
// and returns one Result for each. It is deterministic: the same entries on
// the same register give the same register on every node.
//
// A command whose ID was applied before is answered with its stored result
// and changes nothing (ids are checked before sequences). A command from an
// outbox (Origin set) whose ID is unknown must carry its origin's next
// sequence: one at or below the origin's mark is refused with CodeSeqUsed
// (the outbox was rolled back and must renumber under a new origin), one
// beyond the next expected sequence with CodeGap (send again in order).
// Neither is stored, so the command can still be applied later.
//
// Entries must have increasing indexes above AppliedIndex. An error means the
// register could not be written (disk): no entry of the batch took effect.
func (db *DB) ApplyBatch(es []Entry) ([]Result, error) {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return nil, ErrClosed
	}
	results := make([]Result, len(es))
	var ixs []indexEntry
	last := db.applied.Load()
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		fillAppendOnly(tx)
		for i, e := range es {
			if e.Index <= last {
				return fmt.Errorf("entry index %d not above applied index %d", e.Index, last)
			}
			r, ix, err := applyOne(tx, e)
			if err != nil {
				return fmt.Errorf("apply %d (%s): %w", e.Index, e.Command.Kind, err)
			}
			results[i] = r
			ixs = append(ixs, ix...)
			last = e.Index
		}
		return tx.Bucket(bucketMeta).Put(keyAppliedIndex, u64(last))
	})
	if err != nil {
		return nil, err
	}
	db.applied.Store(last)
	if len(ixs) > 0 {
		db.ix.mu.Lock()
		for _, e := range ixs {
			db.ix.setLocked(e)
		}
		db.ix.mu.Unlock()
	}
	return results, nil
}

// applyOne applies one command within tx. Errors are storage failures only.
func applyOne(tx *bolt.Tx, e Entry) (Result, []indexEntry, error) {
	cmd := e.Command
	results := tx.Bucket(bucketResults)
	if cmd.ID == "" || len(cmd.ID) > 128 {
		return Result{State: StateRejected, Code: CodeInvalid, Reason: "command id must be 1 to 128 characters", Index: e.Index}, nil, nil
	}
	origins := tx.Bucket(bucketOrigins)
	var prev Result
	if getJSON(results, []byte(cmd.ID), &prev) {
		// A command first applied another way (sent again to another
		// node, or to the leader directly) still uses its place in its
		// origin's sequence, or the origin's next command would be a gap
		// for ever.
		if cmd.Origin != "" && cmd.Seq == getU64(origins, []byte(cmd.Origin))+1 {
			if err := origins.Put([]byte(cmd.Origin), u64(cmd.Seq)); err != nil {
				return Result{}, nil, err
			}
		}
		return prev, nil, nil
	}
	if cmd.Origin != "" {
		mark := getU64(origins, []byte(cmd.Origin))
		retired := tx.Bucket(bucketRetired)
		switch {
		case retired.Get([]byte(cmd.Origin)) != nil:
			return Result{CommandID: cmd.ID, State: StateRejected, Code: CodeSeqUsed, Index: e.Index,
				Reason: fmt.Sprintf("origin %s is retired: its outbox was rolled back", cmd.Origin)}, nil, nil
		case cmd.Seq <= mark:
			// Its id is not among the results, yet its sequence is used:
			// the origin reused a sequence number for another command (its
			// outbox was restored from an older copy). Not stored: the
			// command was not applied and may come again under a new origin.
			// The origin is retired, so that no later command of the rolled
			// back outbox (one beyond the mark among them) is applied before
			// this one: they all come again, in order, under the new origin.
			if err := retired.Put([]byte(cmd.Origin), u64(e.Index)); err != nil {
				return Result{}, nil, err
			}
			return Result{CommandID: cmd.ID, State: StateRejected, Code: CodeSeqUsed, Index: e.Index,
				Reason: fmt.Sprintf("sequence %d of origin %s is already used", cmd.Seq, cmd.Origin)}, nil, nil
		case cmd.Seq != mark+1:
			return Result{CommandID: cmd.ID, State: StateRejected, Code: CodeGap, Index: e.Index,
				Reason: fmt.Sprintf("origin %s: expected sequence %d, got %d", cmd.Origin, mark+1, cmd.Seq)}, nil, nil
		}
	}

	a := &applyCtx{tx: tx, e: e, at: e.Time.UTC()}
	err := authorize(a)
	if err == nil {
		h, ok := handlers[cmd.Kind]
		if !ok {
			err = reject(CodeInvalid, "unknown command kind "+strconv.Quote(cmd.Kind))
		} else {
			err = h(a)
		}
	}
	res := Result{CommandID: cmd.ID, Index: e.Index, User: cmd.Actor.User}
	var rj *rejection
	switch {
	case err == nil:
		res.State, res.RecordID, res.Version = StateApplied, a.recordID, a.version
	case errors.As(err, &rj):
		res.State, res.Code, res.Field, res.Reason, res.ExistingID = StateRejected, rj.code, rj.field, rj.reason, rj.existingID
		a.ix = nil
	default:
		return Result{}, nil, err
	}
	if err := putJSON(results, []byte(cmd.ID), res); err != nil {
		return Result{}, nil, err
	}
	if cmd.Origin != "" {
		if err := origins.Put([]byte(cmd.Origin), u64(cmd.Seq)); err != nil {
			return Result{}, nil, err
		}
	}
	if res.State == StateApplied {
		entry := AuditEntry{Index: e.Index, CommandID: cmd.ID, Kind: cmd.Kind, Actor: cmd.Actor, At: a.at, Target: a.target, Changes: a.changes}
		if err := tx.Bucket(bucketAudit).Put(u64(e.Index), encodeAudit(&entry)); err != nil { // audit.go
			return Result{}, nil, err
		}
		if a.target != "" {
			k := append(append([]byte(a.target), 0), u64(e.Index)...)
			if err := tx.Bucket(bucketAuditByTarget).Put(k, nil); err != nil {
				return Result{}, nil, err
			}
		}
	}
	return res, a.ix, nil
}

// authorize finds the actor in the register. Only district.init may come
// from no one: it sets up the first user.
func authorize(a *applyCtx) error {
	if a.e.Command.Kind == KindDistrictInit || a.e.Command.Kind == KindClusterJoin {
		return nil // cluster.join: the token's secret is its authority (cluster.go)
	}
	if a.tx.Bucket(bucketMeta).Get(keyDistrict) == nil {
		return reject(CodeState, "the register has no district yet")
	}
	if !usersCache.get(a.tx.Bucket(bucketUsers), []byte(a.e.Command.Actor.User), &a.actor) {
		return reject(CodeForbidden, "unknown user "+strconv.Quote(a.e.Command.Actor.User))
	}
	return nil
}

func requireAdmin(a *applyCtx) error {
	if a.actor.Role != RoleAdmin {
		return reject(CodeForbidden, "only an administrator may change the org tree and users")
	}
	return nil
}

func decode(a *applyCtx, v any) error {
	if err := json.Unmarshal(a.e.Command.Payload, v); err != nil {
		return reject(CodeInvalid, "payload: "+err.Error())
	}
	return nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

func invalid(err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return &rejection{code: CodeInvalid, field: fe.Field, reason: fe.Message}
	}
	return err
}

func applyDistrictInit(a *applyCtx) error {
	var p DistrictInit
	if err := decode(a, &p); err != nil {
		return err
	}
	meta := a.tx.Bucket(bucketMeta)
	if meta.Get(keyDistrict) != nil {
		return reject(CodeState, "the register already has a district")
	}
	if !isCode(p.District.Code) || strings.TrimSpace(p.District.Name) == "" {
		return reject(CodeInvalid, "district needs a code and a name")
	}
	u := p.Admin
	if u.Role != RoleAdmin || u.Scope.Kind != ScopeDistrict {
		return reject(CodeInvalid, "the first user must be an administrator with district scope")
	}
	if err := checkUser(&u); err != nil {
		return invalid(err)
	}
	u.CreatedAt = a.at
	if err := putJSON(meta, keyDistrict, p.District); err != nil {
		return err
	}
	a.target, a.recordID = "district:"+p.District.Code, p.District.Code
	a.changes = []Change{{Field: "district", To: p.District.Name}, {Field: "user", To: u.Username}}
	return putJSON(a.tx.Bucket(bucketUsers), []byte(u.Username), u)
}

// createOrg stores a new org-tree record under code, refusing duplicates.
func createOrg(a *applyCtx, bucket []byte, kind, code, name string, v any) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	if !isCode(code) {
		return &rejection{code: CodeInvalid, field: "code", reason: "code must be 1 to 32 letters, digits, - or _"}
	}
	if err := cleanText(&name, "name", 50, true); err != nil {
		return invalid(err)
	}
	b := a.tx.Bucket(bucket)
	if b.Get([]byte(code)) != nil {
		return &rejection{code: CodeDuplicate, field: "code", reason: kind + " " + code + " already exists", existingID: code}
	}
	a.target, a.recordID = kind+":"+code, code
	a.changes = []Change{{Field: "name", To: name}}
	return putJSON(b, []byte(code), v)
}

func exists(a *applyCtx, bucket []byte, code string) bool {
	return code != "" && a.tx.Bucket(bucket).Get([]byte(code)) != nil
}

func applyTownshipCreate(a *applyCtx) error {
	var t Township
	if err := decode(a, &t); err != nil {
		return err
	}
	t.Name = strings.TrimSpace(t.Name)
	return createOrg(a, bucketTownships, "township", t.Code, t.Name, t)
}

func applyVillageCreate(a *applyCtx) error {
	var v Village
	if err := decode(a, &v); err != nil {
		return err
	}
	v.Name = strings.TrimSpace(v.Name)
	if v.Kind == "" {
		v.Kind = KindVillage
	}
	if v.Kind != KindVillage && v.Kind != KindCommunity {
		return &rejection{code: CodeInvalid, field: "kind", reason: "kind must be village or community"}
	}
	if !exists(a, bucketTownships, v.TownshipCode) {
		return &rejection{code: CodeNotFound, field: "township_code", reason: "no township " + strconv.Quote(v.TownshipCode)}
	}
	return createOrg(a, bucketVillages, "village", v.Code, v.Name, v)
}

func applyGroupCreate(a *applyCtx) error {
	var g Group
	if err := decode(a, &g); err != nil {
		return err
	}
	g.Name = strings.TrimSpace(g.Name)
	if !exists(a, bucketVillages, g.VillageCode) {
		return &rejection{code: CodeNotFound, field: "village_code", reason: "no village " + strconv.Quote(g.VillageCode)}
	}
	return createOrg(a, bucketGroups, "group", g.Code, g.Name, g)
}

func applySchoolCreate(a *applyCtx) error {
	var s School
	if err := decode(a, &s); err != nil {
		return err
	}
	s.Name = strings.TrimSpace(s.Name)
	if !slices.Contains(SchoolTypes, s.Type) {
		return &rejection{code: CodeInvalid, field: "type", reason: "type must be one of " + strings.Join(SchoolTypes, ", ")}
	}
	if !exists(a, bucketTownships, s.TownshipCode) {
		return &rejection{code: CodeNotFound, field: "township_code", reason: "no township " + strconv.Quote(s.TownshipCode)}
	}
	return createOrg(a, bucketSchools, "school", s.Code, s.Name, s)
}

// checkUser checks a user's fields apart from references, and that a
// password hash (never a password) came with them.
func checkUser(u *User) error {
	if err := CheckUser(u); err != nil {
		return err
	}
	if !strings.HasPrefix(u.PasswordHash, "pbkdf2-sha256$") {
		return fieldErr("password", "required", "password hash missing")
	}
	return nil
}

func applyUserCreate(a *applyCtx) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	var p UserCreate
	if err := decode(a, &p); err != nil {
		return err
	}
	u := p.User
	if err := checkUser(&u); err != nil {
		return invalid(err)
	}
	switch u.Scope.Kind {
	case ScopeDistrict:
	case ScopeTownship:
		if !exists(a, bucketTownships, u.Scope.Code) {
			return &rejection{code: CodeNotFound, field: "scope", reason: "no township " + strconv.Quote(u.Scope.Code)}
		}
	case ScopeSchool, ScopeClass:
		var s School
		if !getJSON(a.tx.Bucket(bucketSchools), []byte(u.Scope.Code), &s) {
			return &rejection{code: CodeNotFound, field: "scope", reason: "no school " + strconv.Quote(u.Scope.Code)}
		}
		if lo, hi := GradeRange(s.Type); u.Scope.Kind == ScopeClass && (u.Scope.Grade < lo || u.Scope.Grade > hi) {
			return &rejection{code: CodeInvalid, field: "scope", reason: "school " + s.Code + " has no grade " + strconv.Itoa(u.Scope.Grade)}
		}
	default:
		return &rejection{code: CodeInvalid, field: "scope", reason: "unknown scope"}
	}
	users := a.tx.Bucket(bucketUsers)
	if users.Get([]byte(u.Username)) != nil {
		return &rejection{code: CodeDuplicate, field: "username", reason: "user " + u.Username + " already exists", existingID: u.Username}
	}
	u.CreatedAt = a.at
	a.target, a.recordID = "user:"+u.Username, u.Username
	a.changes = []Change{{Field: "role", To: u.Role}, {Field: "line", To: u.Line}, {Field: "scope", To: u.Scope.String()}}
	return putJSON(users, []byte(u.Username), u)
}

// requireWrite checks that the actor may change a child at this place.
func requireWrite(a *applyCtx, s *Student, r refs) error {
	if !a.actor.CanWrite() {
		return reject(CodeForbidden, "user "+a.actor.Username+" may only read")
	}
	if !a.actor.Scope.allows(r.township, r.schoolTownship, s.SchoolCode, s.Grade, s.Class) {
		return reject(CodeForbidden, "the child is outside the scope of user "+a.actor.Username)
	}
	return nil
}

func applyStudentCreate(a *applyCtx) error {
	var f StudentFields
	if err := decode(a, &f); err != nil {
		return err
	}
	birth, err := normalizeStudent(&f, true)
	if err != nil {
		return invalid(err)
	}
	r, err := checkStudentRefs(a.tx, &f)
	if err != nil {
		return invalid(err)
	}
	s := Student{StudentFields: f, BirthDate: birth, TownshipCode: r.township}
	if err := requireWrite(a, &s, r); err != nil {
		return err
	}
	if err := checkUnique(a, &f, 0); err != nil {
		return err
	}
	meta := a.tx.Bucket(bucketMeta)
	n := getU64(meta, keyNextStudent)
	if n == 0 {
		n = 1
	}
	if err := meta.Put(keyNextStudent, u64(n+1)); err != nil {
		return err
	}
	s.ID, s.Version = studentID(n), 1
	s.CreatedAt, s.CreatedBy, s.UpdatedAt, s.UpdatedBy = a.at, a.actor.Username, a.at, a.actor.Username
	a.changes = studentDiff(&Student{}, &s)
	return putStudent(a, &s, nil, r)
}

// checkUnique refuses an ID number or student number that another child
// (not self) already has, pointing at that child.
func checkUnique(a *applyCtx, f *StudentFields, self uint64) error {
	if v := a.tx.Bucket(bucketIDNumbers).Get([]byte(f.IDNumber)); v != nil && be64(v) != self {
		id := studentID(be64(v))
		return &rejection{code: CodeDuplicate, field: "id_number", existingID: id,
			reason: "a child with this ID number is already on the register as " + id}
	}
	if f.StudentNo != "" {
		if v := a.tx.Bucket(bucketStudentNos).Get([]byte(f.StudentNo)); v != nil && be64(v) != self {
			id := studentID(be64(v))
			return &rejection{code: CodeDuplicate, field: "student_no", existingID: id,
				reason: "this student number is already on the register as " + id}
		}
	}
	return nil
}

// putStudent writes s and its unique indexes (dropping old's), and queues
// the index update.
func putStudent(a *applyCtx, s, old *Student, r refs) error {
	id := mustParseID(s.ID)
	key := u64(id)
	if old != nil {
		if old.IDNumber != s.IDNumber {
			if err := a.tx.Bucket(bucketIDNumbers).Delete([]byte(old.IDNumber)); err != nil {
				return err
			}
		}
		if old.StudentNo != "" && old.StudentNo != s.StudentNo {
			if err := a.tx.Bucket(bucketStudentNos).Delete([]byte(old.StudentNo)); err != nil {
				return err
			}
		}
	}
	if err := a.tx.Bucket(bucketIDNumbers).Put([]byte(s.IDNumber), key); err != nil {
		return err
	}
	if s.StudentNo != "" {
		if err := a.tx.Bucket(bucketStudentNos).Put([]byte(s.StudentNo), key); err != nil {
			return err
		}
	}
	if err := indexHousehold(a.tx, s, old, id); err != nil {
		return err
	}
	a.target, a.recordID, a.version = s.ID, s.ID, s.Version
	a.ix = append(a.ix, entryFor(s, r.schoolTownship))
	return studentsCache.put(a.tx.Bucket(bucketStudents), key, *s) // decodecache.go
}

// loadStudent reads a child for an edit, checking the version the user saw.
func loadStudent(a *applyCtx, id string) (*Student, refs, error) {
	n, ok := ParseStudentID(id)
	var s Student
	if !ok || !getJSON(a.tx.Bucket(bucketStudents), u64(n), &s) {
		return nil, refs{}, &rejection{code: CodeNotFound, field: "id", reason: "no child " + strconv.Quote(id)}
	}
	r := refs{township: s.TownshipCode, schoolTownship: schoolTownship(a.tx, s.SchoolCode)}
	if err := requireWrite(a, &s, r); err != nil {
		return nil, r, err
	}
	return &s, r, nil
}

func schoolTownship(tx *bolt.Tx, code string) string {
	var s School
	if code != "" && schoolsCache.get(tx.Bucket(bucketSchools), []byte(code), &s) {
		return s.TownshipCode
	}
	return ""
}

func checkVersion(a *applyCtx, s *Student) error {
	if v := a.e.Command.Version; v != s.Version {
		return &rejection{code: CodeConflict, field: "version", existingID: s.ID,
			reason: fmt.Sprintf("the record was changed by someone else (you saw version %d, it is now %d): reload and enter your change again", v, s.Version)}
	}
	return nil
}

func applyStudentUpdate(a *applyCtx) error {
	var p StudentUpdate
	if err := decode(a, &p); err != nil {
		return err
	}
	old, _, err := loadStudent(a, p.ID)
	if err != nil {
		return err
	}
	if err := checkVersion(a, old); err != nil {
		return err
	}
	f := p.Fields
	f.Status = old.Status // status changes go through student.status
	birth, err := normalizeStudent(&f, false)
	if err != nil {
		return invalid(err)
	}
	r, err := checkStudentRefs(a.tx, &f)
	if err != nil {
		return invalid(err)
	}
	s := *old
	s.StudentFields, s.BirthDate, s.TownshipCode = f, birth, r.township
	if err := requireWrite(a, &s, r); err != nil { // may not move a child out of one's own scope
		return err
	}
	if err := checkUnique(a, &f, mustParseID(s.ID)); err != nil {
		return err
	}
	a.changes = studentDiff(old, &s)
	if len(a.changes) == 0 {
		return &rejection{code: CodeInvalid, reason: "nothing to change"}
	}
	s.Version++
	s.UpdatedAt, s.UpdatedBy = a.at, a.actor.Username
	return putStudent(a, &s, old, r)
}

// terminal statuses end a record's changes.
var terminal = []string{StatusDeceased}

func applyStudentStatus(a *applyCtx) error {
	var p StudentStatus
	if err := decode(a, &p); err != nil {
		return err
	}
	s, r, err := loadStudent(a, p.ID)
	if err != nil {
		return err
	}
	if a.e.Command.Version != 0 {
		if err := checkVersion(a, s); err != nil {
			return err
		}
	}
	if err := CheckStatusChange(&p); err != nil {
		return invalid(err)
	}
	switch {
	case p.Status == s.Status:
		return &rejection{code: CodeState, field: "status", reason: "the child's status is already " + s.Status}
	case slices.Contains(terminal, s.Status):
		return &rejection{code: CodeState, field: "status", reason: "the record is closed: status " + s.Status}
	case p.Date > a.at.In(chinaTime).Format("2006-01-02"):
		return &rejection{code: CodeInvalid, field: "date", reason: "date is in the future"}
	case p.Date < s.BirthDate:
		return &rejection{code: CodeInvalid, field: "date", reason: "date is before the child's birth"}
	case (p.Status == StatusEnrolled || p.Status == StatusSuspended) && s.SchoolCode == "":
		return &rejection{code: CodeState, field: "status", reason: "the child has no school: enter the school, grade and class first"}
	}
	if err := statusHook(a, s, r, &p); err != nil { // case.go: checks, then opens a case for dropped_out
		return err
	}
	sc := StatusChange{Index: a.e.Index, StudentID: s.ID, From: s.Status, To: p.Status, Date: p.Date, Reason: p.Reason,
		Destination: p.Destination, ExpectedReturn: p.ExpectedReturn, By: a.actor.Username, Node: a.e.Command.Actor.Node, At: a.at}
	key := append(u64(mustParseID(s.ID)), u64(a.e.Index)...)
	if err := putJSON(a.tx.Bucket(bucketStatusChanges), key, sc); err != nil {
		return err
	}
	old := *s
	s.Status = p.Status
	s.Version++
	s.UpdatedAt, s.UpdatedBy = a.at, a.actor.Username
	a.changes = studentDiff(&old, s)
	return putStudent(a, s, &old, r)
}

// studentDiff lists the fields that differ, ID numbers masked.
func studentDiff(old, s *Student) []Change {
	var cs []Change
	add := func(field, from, to string) {
		if from != to {
			cs = append(cs, Change{Field: field, From: from, To: to})
		}
	}
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	mask := func(v string) string {
		if v == "" {
			return ""
		}
		return MaskID(v)
	}
	add("name", old.Name, s.Name)
	add("gender", old.Gender, s.Gender)
	add("id_number", mask(old.IDNumber), mask(s.IDNumber))
	add("ethnicity", old.Ethnicity, s.Ethnicity)
	add("student_no", old.StudentNo, s.StudentNo)
	add("village_code", old.VillageCode, s.VillageCode)
	add("group_code", old.GroupCode, s.GroupCode)
	add("household", old.Household, s.Household)
	add("school_code", old.SchoolCode, s.SchoolCode)
	add("grade", num(old.Grade), num(s.Grade))
	add("class", num(old.Class), num(s.Class))
	add("status", old.Status, s.Status)
	add("flags", strings.Join(old.Flags, ","), strings.Join(s.Flags, ","))
	od, _ := json.Marshal(old.Details)
	nd, _ := json.Marshal(s.Details)
	add("details", string(od), string(nd))
	og, _ := json.Marshal(old.Guardians)
	ng, _ := json.Marshal(s.Guardians)
	add("guardians", string(og), string(ng))
	return cs
}

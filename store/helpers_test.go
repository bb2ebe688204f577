package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mustOpen opens a register in a temp dir and checks the file's integrity
// when the test ends.
func mustOpen(t testing.TB) *DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "register.db")
	db, err := Open(path, &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		if err := checkRegisterFile(path, time.Second); err != nil {
			t.Errorf("register file integrity: %v", err)
		}
	})
	return db
}

var t0 = time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)

// applier feeds commands to a register with increasing indexes.
type applier struct {
	t   testing.TB
	db  *DB
	log []Entry // every entry applied, for replay
}

func (a *applier) apply(cmd Command) Result {
	a.t.Helper()
	idx := a.db.AppliedIndex() + 1
	e := Entry{Index: idx, Time: t0.Add(time.Duration(idx) * time.Second), Command: cmd}
	a.log = append(a.log, e)
	r, err := a.db.Apply(e)
	if err != nil {
		a.t.Fatalf("apply %s: %v", cmd.Kind, err)
	}
	return r
}

func (a *applier) must(cmd Command) Result {
	a.t.Helper()
	r := a.apply(cmd)
	if !r.Applied() {
		a.t.Fatalf("%s %s: rejected: %s (%s %s)", cmd.Kind, cmd.ID, r.Reason, r.Code, r.Field)
	}
	return r
}

var cmdSeq int

func cmd(t testing.TB, user, kind string, payload any) Command {
	t.Helper()
	cmdSeq++
	// Built by hand, not with NewCommand: tests send records as payloads
	// (the same JSON) and kinds that do not fit them.
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return Command{ID: fmt.Sprintf("c%06d", cmdSeq), Kind: kind, Actor: Actor{User: user, Role: "?", Node: "n1"}, Payload: b}
}

const testHash = "pbkdf2-sha256$1$AAAA$AAAA" // Apply checks only the form; login is tested in ui

// fixture: district, two townships, villages, groups, schools and users of
// every scope kind.
func fixture(t testing.TB, db *DB) *applier {
	a := &applier{t: t, db: db}
	a.must(cmd(t, "", KindDistrictInit, DistrictInit{District: District{Code: "450206", Name: "柳江区"},
		Admin: User{Username: "admin", Role: RoleAdmin, Line: LineEducation, Scope: DistrictScope, PasswordHash: testHash}}))
	for _, p := range []struct {
		kind string
		v    any
	}{
		{KindTownshipCreate, Township{Code: "T1", Name: "拉堡镇"}},
		{KindTownshipCreate, Township{Code: "T2", Name: "进德镇"}},
		{KindVillageCreate, Village{Code: "V1", Name: "龙山村", TownshipCode: "T1"}},
		{KindVillageCreate, Village{Code: "V2", Name: "江口村", TownshipCode: "T2"}},
		{KindGroupCreate, Group{Code: "G1", Name: "第一村民小组", VillageCode: "V1"}},
		{KindGroupCreate, Group{Code: "G2", Name: "第一村民小组", VillageCode: "V2"}},
		{KindSchoolCreate, School{Code: "P1", Name: "拉堡镇中心小学", Type: SchoolPrimary, TownshipCode: "T1"}},
		{KindSchoolCreate, School{Code: "J2", Name: "进德镇初级中学", Type: SchoolJunior, TownshipCode: "T2"}},
		{KindUserCreate, UserCreate{User: User{Username: "t1", Role: RoleOfficer, Line: LineGovernment, Scope: Scope{Kind: ScopeTownship, Code: "T1"}, PasswordHash: testHash}}},
		{KindUserCreate, UserCreate{User: User{Username: "p1", Role: RoleOfficer, Line: LineEducation, Scope: Scope{Kind: ScopeSchool, Code: "P1"}, PasswordHash: testHash}}},
		{KindUserCreate, UserCreate{User: User{Username: "c1", Role: RoleTeacher, Line: LineEducation, Scope: Scope{Kind: ScopeClass, Code: "P1", Grade: 3, Class: 1}, PasswordHash: testHash}}},
		{KindUserCreate, UserCreate{User: User{Username: "v", Role: RoleViewer, Line: LineEducation, Scope: DistrictScope, PasswordHash: testHash}}},
	} {
		a.must(cmd(t, "admin", p.kind, p.v))
	}
	return a
}

// idNumber makes a valid ID number for a birth date and sequence; odd
// sequences are male.
func idNumber(t testing.TB, birth string, seq int) string {
	t.Helper()
	first := "450206" + strings.ReplaceAll(birth, "-", "") + fmt.Sprintf("%03d", seq)
	c, err := IDCheckDigit(first)
	if err != nil {
		t.Fatal(err)
	}
	return first + string(c)
}

// child is a child of the age of its grade (born 2017 in grade 3).
func child(t testing.TB, seq int, village, school string, grade, class int) StudentFields {
	g := "F"
	if seq%2 == 1 {
		g = "M"
	}
	birth := "2017-03-01"
	if grade > 0 {
		birth = fmt.Sprintf("%d-03-01", 2020-grade)
	}
	return StudentFields{Name: fmt.Sprintf("韦小%d", seq), Gender: g, IDNumber: idNumber(t, birth, seq), Ethnicity: "壮族",
		VillageCode: village, SchoolCode: school, Grade: grade, Class: class,
		Guardians: []Guardian{{Name: "韦大", Relation: "父亲", Phone: "13800000000"}}}
}

// dump returns the register's dump, leaving out the buckets that every
// command touches (results, meta, origins, retired origins), so that a
// rejected command can be checked to have changed nothing.
func dump(t testing.TB, db *DB, all bool) string {
	t.Helper()
	var b bytes.Buffer
	if err := db.Dump(&b); err != nil {
		t.Fatal(err)
	}
	if all {
		return b.String()
	}
	var keep []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "results\t") || strings.HasPrefix(l, "meta\t") || strings.HasPrefix(l, "origins\t") || strings.HasPrefix(l, "origins_retired\t") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

package sync

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A restore mark written by `baoxue restore` is read back whole; none is
// no mark; a damaged one is an error (the check must not be skipped), and
// clearing it leaves none.
func TestRestoreMark(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := ReadRestoreMark(dir); ok || err != nil {
		t.Fatalf("no mark read as ok=%v, %v", ok, err)
	}
	st := RaftState{AppliedIndex: 42, LogTerm: 3, Term: 5, Servers: []BackupServer{
		{ID: "bureau", Address: "10.0.0.1:7400", Voter: true}, {ID: "v2", Address: "10.0.0.2:7400", Voter: true}}}
	if err := MarkRestored(dir, "bureau", st); err != nil {
		t.Fatal(err)
	}
	m, ok, err := ReadRestoreMark(dir)
	if err != nil || !ok {
		t.Fatalf("mark: ok=%v, %v", ok, err)
	}
	if m.NodeID != "bureau" || m.AppliedIndex != 42 || m.LogTerm != 3 || m.Term != 5 || len(m.Servers) != 2 || m.RestoredAt.IsZero() {
		t.Errorf("mark read back as %+v", m)
	}
	if !m.wasVoter() || len(m.otherVoters()) != 1 || m.otherVoters()[0].ID != "v2" {
		t.Errorf("bureau was a voter beside v2: wasVoter %v, others %+v", m.wasVoter(), m.otherVoters())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the data directory holds %d files after marking, want the mark only", len(entries))
	}

	if err := os.WriteFile(filepath.Join(dir, restoreMarkName), []byte(`{"node_id": "bur`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadRestoreMark(dir); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("a damaged mark read as %v", err)
	}
	if err := clearRestoreMark(dir); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := ReadRestoreMark(dir); ok || err != nil {
		t.Errorf("after clearing: ok=%v, %v", ok, err)
	}
	if err := clearRestoreMark(dir); err != nil {
		t.Errorf("clearing no mark: %v", err)
	}
}

// judgeRestored lets a restored voter among others start only once the
// living voters no longer count it as a voter; it says what to run.
func TestJudgeRestored(t *testing.T) {
	m := RestoreMark{NodeID: "bureau", RaftState: RaftState{Servers: []BackupServer{
		{ID: "bureau", Voter: true}, {ID: "v2", Address: "a2", Voter: true}, {ID: "v3", Address: "a3", Voter: true}}}}
	voter := func(id string) suffrageAnswer {
		return suffrageAnswer{server: BackupServer{ID: id}, reply: suffrageReply{NodeID: id, Member: true, Voter: true}}
	}
	nonVoter := func(id string) suffrageAnswer {
		return suffrageAnswer{server: BackupServer{ID: id}, reply: suffrageReply{NodeID: id, Member: true}}
	}
	absent := func(id string) suffrageAnswer {
		return suffrageAnswer{server: BackupServer{ID: id}, reply: suffrageReply{NodeID: id}}
	}
	down := func(id string) suffrageAnswer {
		return suffrageAnswer{server: BackupServer{ID: id, Address: "a"}, err: ErrUnreachable}
	}
	for _, tc := range []struct {
		name     string
		answers  []suffrageAnswer
		override bool
		start    bool
		says     []string
	}{
		{"both list it as a voter", []suffrageAnswer{voter("v2"), voter("v3")}, false, false,
			[]string{"v2 still lists it as a voter", "/api/v1/cluster/nodes/bureau/demote", "Nodes page"}},
		{"one still lists it as a voter", []suffrageAnswer{nonVoter("v2"), voter("v3")}, false, false,
			[]string{"v3 still lists it as a voter"}},
		{"the override does not beat a voter's answer", []suffrageAnswer{voter("v2"), down("v3")}, true, false,
			[]string{"v2 still lists it as a voter"}},
		{"demoted", []suffrageAnswer{nonVoter("v2"), nonVoter("v3")}, false, true, nil},
		{"removed", []suffrageAnswer{absent("v2"), absent("v3")}, false, true, nil},
		{"demoted, one voter down", []suffrageAnswer{down("v2"), nonVoter("v3")}, false, true, nil},
		{"no voter answers", []suffrageAnswer{down("v2"), down("v3")}, false, false,
			[]string{"none of the backup's other voters answered", "baoxue recover --data /var/lib/baoxue", "--restored-demoted", "/demote"}},
		{"no voter answers, the operator says demoted", []suffrageAnswer{down("v2"), down("v3")}, true, true, nil},
	} {
		err := judgeRestored(m, tc.answers, "/var/lib/baoxue", tc.override)
		if tc.start {
			if err != nil {
				t.Errorf("%s: refused: %v", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrRestoredVoter) {
			t.Errorf("%s: %v, want ErrRestoredVoter", tc.name, err)
			continue
		}
		for _, s := range tc.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: the refusal does not say %q: %v", tc.name, s, err)
			}
		}
	}
}

// Open reads the restore mark before Raft starts: a restored voter whose
// other voters cannot be asked is refused and Raft's directory is not even
// made; --restored-demoted lets it start, and the mark is then gone; a mark
// for another node is refused.
func TestOpenRestoredVoter(t *testing.T) {
	dir := t.TempDir()
	st := RaftState{AppliedIndex: 7, Term: 2, Servers: []BackupServer{
		{ID: "n1", Address: "127.0.0.1:1", Voter: true}, {ID: "n2", Address: "127.0.0.1:1", Voter: true}}}
	if err := MarkRestored(dir, "other", st); err != nil {
		t.Fatal(err)
	}
	db := mustOpenDB(t, dir)
	ctx := t.Context()
	cfg := testConfig(t, dir)
	if err := New(cfg, db).Open(ctx); err == nil || !strings.Contains(err.Error(), `is for node "other"`) {
		t.Errorf("a mark for another node: %v", err)
	}
	if err := MarkRestored(dir, "n1", st); err != nil {
		t.Fatal(err)
	}
	err := New(cfg, db).Open(ctx)
	if !errors.Is(err, ErrRestoredVoter) || !strings.Contains(err.Error(), "n2 at 127.0.0.1:1") {
		t.Errorf("a restored voter whose other voter is down: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "raft")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused start touched Raft's directory: %v", err)
	}
	cfg.RestoredDemoted = true
	mustOpen(t, cfg, db)
	if _, ok, err := ReadRestoreMark(dir); ok || err != nil {
		t.Errorf("the mark after a start with RestoredDemoted: ok=%v, %v", ok, err)
	}
}

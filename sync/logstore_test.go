package sync

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"

	"baoxue/store"
)

// A data directory written before the write-ahead log keeps its Raft log
// and vote: testdata/raft-boltdb-v2.db is DATA/raft/raft.db of a node of the
// previous build (baoxue serve --bootstrap, then a township and a village
// through the API). The first open copies it into DATA/raft/wal; later opens
// use the WAL alone.
func TestLogStoreMigratesRaftBoltDB(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, "testdata/raft-boltdb-v2.db", filepath.Join(dir, "raft.db"))
	for round := 1; round <= 2; round++ {
		w, err := openLogStore(dir, hclog.NewNullLogger())
		if err != nil {
			t.Fatalf("open %d: %v", round, err)
		}
		first, _ := w.FirstIndex()
		last, _ := w.LastIndex()
		term, err := w.GetUint64([]byte("CurrentTerm"))
		if err != nil || term == 0 {
			t.Errorf("open %d: CurrentTerm %d, %v: the vote was lost", round, term, err)
		}
		var kinds []string
		for i := first; i <= last; i++ {
			var l raft.Log
			if err := w.GetLog(i, &l); err != nil {
				t.Fatalf("open %d: entry %d: %v", round, i, err)
			}
			if l.Index != i || l.Term == 0 || l.Term > term || l.Type == raft.LogCommand && l.AppendedAt.Year() != 2026 {
				t.Errorf("open %d: entry %d = index %d term %d at %v", round, i, l.Index, l.Term, l.AppendedAt)
			}
			if l.Type == raft.LogCommand {
				var c store.Command
				if err := json.Unmarshal(l.Data, &c); err != nil {
					t.Fatalf("entry %d: %v", i, err)
				}
				kinds = append(kinds, c.Kind)
			}
		}
		want := []string{store.KindDistrictInit, store.KindTownshipCreate, store.KindVillageCreate}
		if len(kinds) < len(want) || kinds[0] != want[0] || kinds[len(kinds)-2] != want[1] || kinds[len(kinds)-1] != want[2] {
			t.Errorf("open %d: commands %v, want %v among them in order", round, kinds, want)
		}
		// The log goes on where it ended.
		if round == 1 {
			if err := w.StoreLog(&raft.Log{Index: last + 1, Term: term, Type: raft.LogNoop}); err != nil {
				t.Fatal(err)
			}
		} else if last < 7 {
			t.Errorf("reopened log ends at %d: the entry appended after the migration is lost", last)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "raft.db")); !os.IsNotExist(err) {
			t.Errorf("open %d: raft.db still in place (%v): it would be migrated again", round, err)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// Entries removed by a compaction are gone, also while they still sit in
// the segment being written: Raft must then send the snapshot.
func TestLogStoreCompactedEntriesAreGone(t *testing.T) {
	w, err := openLogStore(t.TempDir(), hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var logs []*raft.Log
	for i := uint64(1); i <= 10; i++ {
		logs = append(logs, &raft.Log{Index: i, Term: 1, Type: raft.LogNoop})
	}
	if err := w.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := w.DeleteRange(1, 5); err != nil {
		t.Fatal(err)
	}
	var l raft.Log
	if err := w.GetLog(3, &l); err != raft.ErrLogNotFound {
		t.Errorf("GetLog of a compacted entry: %v, want raft.ErrLogNotFound", err)
	}
	if err := w.GetLog(6, &l); err != nil || l.Index != 6 {
		t.Errorf("GetLog(6) = %d, %v", l.Index, err)
	}
}

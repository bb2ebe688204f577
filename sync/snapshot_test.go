package sync

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"testing"

	"github.com/hashicorp/raft"
)

// memSink is a raft.SnapshotSink in memory that can fail its writes.
type memSink struct {
	bytes.Buffer
	fail              bool
	closed, cancelled bool
}

func (s *memSink) Write(p []byte) (int, error) {
	if s.fail {
		return 0, errors.New("disk full")
	}
	return s.Buffer.Write(p)
}
func (s *memSink) ID() string    { return "test" }
func (s *memSink) Close() error  { s.closed = true; return nil }
func (s *memSink) Cancel() error { s.cancelled = true; return nil }

var _ raft.SnapshotSink = (*memSink)(nil)

// TestSnapshotRoundTrip persists a snapshot and restores it into another
// register through the FSM.
func TestSnapshotRoundTrip(t *testing.T) {
	src := mustOpenDB(t, t.TempDir())
	f := &fsm{db: src, log: testLogger(t)}
	f.ApplyBatch(testLogs(t))

	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	// A command applied after Snapshot is not in it.
	f.ApplyBatch([]*raft.Log{commandLog(t, 3, township(t, 101, "里雍镇"), at0)})
	var sink memSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	snap.Release()
	if !sink.closed || sink.cancelled {
		t.Errorf("sink closed %v, cancelled %v; want closed only", sink.closed, sink.cancelled)
	}

	gz, err := gzip.NewReader(bytes.NewReader(sink.Bytes()))
	if err != nil {
		t.Fatalf("snapshot is not gzip: %v", err)
	}
	if got, ok := appliedIndex(gz.Header); !ok || got != 2 {
		t.Errorf("applied index in gzip header = %d, %v; want 2, true", got, ok)
	}

	dst := mustOpenDB(t, t.TempDir())
	g := &fsm{db: dst, log: testLogger(t)}
	want := &fsm{db: mustOpenDB(t, t.TempDir()), log: testLogger(t)}
	want.ApplyBatch(testLogs(t))
	if err := g.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatal(err)
	}
	if dst.AppliedIndex() != 2 || dump(t, dst) != dump(t, want.db) {
		t.Errorf("restored register (applied %d) differs from the one snapshotted (applied 2)", dst.AppliedIndex())
	}
}

func TestPersistCancelsOnError(t *testing.T) {
	f := &fsm{db: mustOpenDB(t, t.TempDir()), log: testLogger(t)}
	f.ApplyBatch(testLogs(t))
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	sink := memSink{fail: true}
	if err := snap.Persist(&sink); err == nil {
		t.Error("Persist to a failing sink returned nil")
	}
	if !sink.cancelled || sink.closed {
		t.Errorf("sink closed %v, cancelled %v; want cancelled only", sink.closed, sink.cancelled)
	}
}

func TestRestoreRejectsDamagedSnapshot(t *testing.T) {
	src := &fsm{db: mustOpenDB(t, t.TempDir()), log: testLogger(t)}
	src.ApplyBatch(testLogs(t))
	snap, err := src.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink memSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	snap.Release()
	data := sink.Bytes()
	data[len(data)/2] ^= 0xff

	dst := &fsm{db: mustOpenDB(t, t.TempDir()), log: testLogger(t)}
	before := dump(t, dst.db)
	if err := dst.Restore(io.NopCloser(bytes.NewReader(data))); err == nil {
		t.Error("Restore of a damaged snapshot returned nil")
	}
	if dump(t, dst.db) != before {
		t.Error("register changed by a failed restore")
	}
}

func TestAppliedIndexHeader(t *testing.T) {
	tests := []struct {
		name   string
		extra  []byte
		want   uint64
		wantOK bool
	}{
		{"none", nil, 0, false},
		{"ours", []byte{'B', 'X', 8, 0, 0, 0, 0, 0, 0, 0, 1, 2}, 258, true},
		{"after another subfield", []byte{'A', 'p', 1, 0, 9, 'B', 'X', 8, 0, 0, 0, 0, 0, 0, 0, 0, 7}, 7, true},
		{"truncated", []byte{'B', 'X', 8, 0, 1, 2}, 0, false},
		{"wrong length", []byte{'B', 'X', 2, 0, 1, 2}, 0, false},
	}
	for _, tt := range tests {
		got, ok := appliedIndex(gzip.Header{Extra: tt.extra})
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: appliedIndex(% x) = %d, %v; want %d, %v", tt.name, tt.extra, got, ok, tt.want, tt.wantOK)
		}
	}
}

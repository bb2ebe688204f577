package synth

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"baoxue/store"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/register-golden.txt from this build")

// TestRegisterGolden applies a fixed log (a demo district of 1,500
// children with its users, assignments, status changes, cases and a term of
// roll calls, then edits, refusals, a repeated command id and outbox
// sequences) and compares every bucket of the register with the golden
// taken from the previous build: a count of keys and a SHA-256 of the
// dump's lines. Every node applies the same log to the same bytes only if
// every build does: a change to how a command is applied (a faster codec,
// another write order) must leave the register byte for byte as it was.
// Password hashes are salted at random and masked.
func TestRegisterGolden(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Students = 1500
	d := mustGenerate(t, cfg)
	db, rs, apply := demoRegister(t, d, cfg.Seed, "2026-11-27")
	addEvents(t, db, apply)
	goldenTail(t, db, d, rs)
	var dump bytes.Buffer
	if err := db.Dump(&dump); err != nil {
		t.Fatal(err)
	}
	got := bucketDigests(dump.Bytes())
	path := filepath.Join("testdata", "register-golden.txt")
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		out := filepath.Join(t.TempDir(), "dump.txt")
		os.WriteFile(out, dump.Bytes(), 0o644)
		t.Errorf("the register differs from the golden (%s):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// goldenTail applies what the demo does not: refusals of each common kind
// and outbox commands: in sequence, a command id sent again, a gap, a
// sequence used twice (the origin retired).
func goldenTail(t *testing.T, db *store.DB, d *District, rs []store.Result) {
	t.Helper()
	at := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	var es []store.Entry
	add := func(id, origin string, seq uint64, p store.Payload) {
		c, err := store.NewCommand(id, store.Actor{User: "admin", Node: "n"}, p)
		if err != nil {
			t.Fatal(err)
		}
		c.Origin, c.Seq = origin, seq
		es = append(es, store.Entry{Index: db.AppliedIndex() + uint64(len(es)) + 1, Time: at, Command: c})
	}
	extra := func(i int) store.StudentCreate {
		s := d.Students[i]
		first := s.IDNumber[:14] + fmt.Sprintf("%03d", 970+i%10*2+int(s.IDNumber[16]-'0')%2) // another child of the same sex
		c, err := store.IDCheckDigit(first)
		if err != nil {
			t.Fatal(err)
		}
		s.IDNumber, s.StudentNo = first+string(c), ""
		return store.StudentCreate{StudentFields: s}
	}
	f := d.Students[7]
	f.Name, f.Ethnicity = f.Name+"明", "汉族"
	add("r1", "", 0, store.StudentUpdate{ID: rs[7].RecordID, Fields: f}) // no version: a conflict
	add("r2", "", 0, store.StudentCreate{StudentFields: d.Students[3]})  // a duplicate ID number
	add("r3", "", 0, store.StudentCreate{StudentFields: store.StudentFields{Name: "x"}})
	const o1, o2 = "n.000000000001", "n.000000000002"
	add("o1", o1, 1, store.StudentStatus{ID: rs[9].RecordID, Status: store.StatusSuspended, Date: "2026-11-20", Reason: "病休"})
	add("o2", o1, 2, extra(11))
	add("o1", o1, 3, store.StudentStatus{ID: rs[9].RecordID, Status: store.StatusSuspended, Date: "2026-11-20", Reason: "病休"})
	add("o4", o2, 2, extra(12)) // a gap
	add("o5", o2, 1, store.StudentStatus{ID: rs[10].RecordID, Status: store.StatusSuspended, Date: "2026-11-21", Reason: "病休"})
	add("o6", o1, 1, extra(13)) // sequence 1 used: o1 retired
	add("o7", o1, 3, extra(14))
	got, err := db.ApplyBatch(es)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{store.CodeConflict, store.CodeDuplicate, store.CodeInvalid, "", "", "", store.CodeGap, "", store.CodeSeqUsed, store.CodeSeqUsed}
	for i, r := range got {
		if r.Code != want[i] || r.Applied() != (want[i] == "") {
			t.Errorf("outbox command %d (%s seq %d): %s %q, want %q", i, es[i].Command.Origin, es[i].Command.Seq, r.State, r.Code+" "+r.Reason, want[i])
		}
	}
}

// bucketDigests gives, per bucket of a dump, the number of lines and the
// SHA-256 of them, password hashes masked.
func bucketDigests(dump []byte) string {
	hash := regexp.MustCompile(`(argon2id|pbkdf2-sha256)\$[^"]*`)
	type acc struct {
		n int
		h []byte
	}
	var names []string
	sums := map[string]*acc{}
	// A dump's line is "bucket\thex key\tvalue"; a binary value may hold
	// newlines, so a line that does not start so continues the one before.
	record := regexp.MustCompile(`^[a-z_]+\t[0-9a-f]*\t`)
	sc := bufio.NewScanner(bytes.NewReader(dump))
	sc.Buffer(nil, 1<<24)
	cur, h := "", sha256.New()
	for sc.Scan() {
		line := hash.ReplaceAll(sc.Bytes(), []byte("HASH"))
		name := cur
		if record.Match(line) {
			name, _, _ = strings.Cut(string(line), "\t")
		} else {
			sums[cur].n-- // counted again below: one record
		}
		if name != cur {
			if cur != "" {
				sums[cur].h = h.Sum(nil)
			}
			cur, h = name, sha256.New()
			names = append(names, name)
			sums[name] = &acc{}
		}
		sums[name].n++
		h.Write(line)
		h.Write([]byte{'\n'})
	}
	if cur != "" {
		sums[cur].h = h.Sum(nil)
	}
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s\t%d\t%s\n", n, sums[n].n, hex.EncodeToString(sums[n].h))
	}
	return b.String()
}

package store

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// The stored records are written by hand-made encoders that must give
// json.Marshal's bytes exactly: registers written before them and nodes of
// the previous release hold those bytes (TestRegisterGolden, store/synth,
// checks a whole register).

// oddStrings are strings json.Marshal escapes in each of its ways, and
// plain ones.
var oddStrings = []string{"", "a", "韦小明", "G450206", "<b>&</b>", "\"q\" \\", "\n\r\t\b\f\x01\x1f", "x\u2028y\u2029",
	"bad \xff utf8 \xe2\x80", "emoji 😀", "\x7f", "a\x00b", "13800000000"}

func randString(r *rand.Rand) string {
	if r.IntN(3) > 0 {
		return oddStrings[r.IntN(len(oddStrings))]
	}
	b := make([]byte, r.IntN(12))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return string(b)
}

func randStoredStudent(r *rand.Rand) storedStudent {
	s := storedStudent{Version: r.Uint64N(5), Name: randString(r), Gender: randString(r), IDNumber: randString(r),
		Ethnicity: randString(r), Village: randString(r), Group: randString(r), Household: randString(r), School: randString(r),
		Grade: r.IntN(9) - 2, Class: r.IntN(3), Status: randString(r), Township: randString(r), Created: r.Int64N(3) - 1, CreatedBy: randString(r)}
	ptr := func() *string { x := randString(r); return &x }
	if r.IntN(2) == 0 {
		s.StudentNo = ptr()
	}
	if r.IntN(2) == 0 {
		s.BirthDate = ptr()
	}
	if r.IntN(2) == 0 {
		s.UpdatedBy = ptr()
	}
	if r.IntN(2) == 0 {
		u := r.Int64()
		s.Updated = &u
	}
	switch r.IntN(4) {
	case 0:
		s.Flags = new([]string) // a nil slice: null
	case 1:
		f := []string{}
		for range r.IntN(3) {
			f = append(f, randString(r))
		}
		s.Flags = &f
	}
	switch r.IntN(4) {
	case 0:
		s.Guardians = new([][3]string)
	case 1:
		g := [][3]string{}
		for range r.IntN(3) {
			g = append(g, [3]string{randString(r), randString(r), randString(r)})
		}
		s.Guardians = &g
	}
	if r.IntN(3) == 0 {
		s.Details = &FlagDetails{ParentsWorkplace: randString(r), ParentsPhone: randString(r)}
	}
	return s
}

func TestStoredStudentJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		s := randStoredStudent(r)
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.appendJSON(nil)
		if err != nil || string(got) != string(want) {
			t.Fatalf("record %d: appendJSON gives\n%s (%v)\njson.Marshal gives\n%s", i, got, err, want)
		}
	}
}

func TestStoredResultJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pick := func(s string) string {
		if r.IntN(2) == 0 {
			return ""
		}
		return s
	}
	for i := range 20000 {
		s := storedResult{State: pick(randString(r)), Reason: pick(randString(r)), Code: pick(randString(r)), Field: pick(randString(r)),
			Index: r.Uint64N(3), RecordID: pick(randString(r)), Version: r.Uint64N(3), ExistingID: pick(randString(r)),
			User: pick(randString(r)), RequestDigest: pick(randString(r))}
		switch r.IntN(3) {
		case 0:
			s.Rows = []RowResult{}
		case 1:
			s.Rows = []RowResult{{Row: 3, Code: randString(r), Reason: randString(r), ExistingID: pick("S1")}}
		}
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.appendJSON(nil)
		if err != nil || string(got) != string(want) {
			t.Fatalf("result %d: appendJSON gives\n%s (%v)\njson.Marshal gives\n%s", i, got, err, want)
		}
	}
}

package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

// fillAll sets every field of v, recursively, to a distinct non-zero value.
func fillAll(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("v%d", *n))
	case reflect.Int, reflect.Int64, reflect.Uint64:
		if v.CanInt() {
			v.SetInt(int64(*n))
		} else {
			v.SetUint(uint64(*n))
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fillAll(v.Index(i), n)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Unix(1_800_000_000+int64(*n), int64(*n)).UTC()))
			return
		}
		for i := range v.NumField() {
			fillAll(v.Field(i), n)
		}
	default:
		panic("fillAll: " + v.Kind().String())
	}
}

// TestStudentCodecCoversEveryField: every field of a child, its guardians
// and its flag details comes back from the stored form as it went in. A
// field added to those types and not to storedStudent fails here.
func TestStudentCodecCoversEveryField(t *testing.T) {
	var s Student
	n := 0
	fillAll(reflect.ValueOf(&s).Elem(), &n)
	s.Age = 0 // set by a View when read, never stored
	full := s
	idNo := "450206201809195361"
	derived := s
	derived.IDNumber, derived.StudentNo, derived.BirthDate = idNo, "G"+idNo, "2018-09-19"
	derived.UpdatedAt, derived.UpdatedBy = derived.CreatedAt, derived.CreatedBy
	derived.Flags, derived.Guardians, derived.Details = nil, nil, FlagDetails{}
	empty := derived
	empty.Flags, empty.Guardians, empty.StudentNo = []string{}, []Guardian{}, ""
	for name, s := range map[string]Student{"every field set": full, "derivable fields": derived, "empty, not nil": empty, "zero": {ID: "S7"}} {
		s.ID = "S7"
		raw, err := encodeStudent(&s)
		if err != nil {
			t.Fatal(err)
		}
		var got Student
		if err := decodeStudent(u64(7), raw, &got); err != nil {
			t.Fatalf("%s: %v (%s)", name, err, raw)
		}
		if d := cmp.Diff(s, got); d != "" {
			t.Errorf("%s: stored as %s, read back differs (-written +read):\n%s", name, raw, d)
		}
		// The API answers with the Student JSON: it must not change either.
		wj, _ := json.Marshal(s)
		gj, _ := json.Marshal(got)
		if string(wj) != string(gj) {
			t.Errorf("%s: the API would answer %s, not %s", name, gj, wj)
		}
		legacy, _ := json.Marshal(s)
		var old Student
		if err := decodeStudent(u64(7), legacy, &old); err != nil || !reflect.DeepEqual(old, s) {
			t.Errorf("%s: a record in the Student JSON of schema 2 reads back as %+v (%v)", name, old, err)
		}
		if name == "derivable fields" && len(raw)*2 > len(wj) {
			t.Errorf("stored form %d bytes against %d of Student JSON; want at most half: %s", len(raw), len(wj), raw)
		}
	}
}

// TestResultCodecCoversEveryField: a result reads back as stored, in the
// compact form and in the Result JSON of schema 2.
func TestResultCodecCoversEveryField(t *testing.T) {
	var r Result
	n := 0
	fillAll(reflect.ValueOf(&r).Elem(), &n)
	for _, r := range []Result{r, {CommandID: "c1", State: StateApplied, Index: 9}} {
		db := mustOpen(t)
		var got, legacy Result
		db.bolt.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketResults)
			if err := putResult(b, &r); err != nil {
				t.Fatal(err)
			}
			if raw := b.Get([]byte(r.CommandID)); bytes.Contains(raw, []byte(`"`+r.CommandID+`"`)) {
				t.Errorf("the stored result repeats its key: %s", raw)
			}
			getResult(nil, b, r.CommandID, &got)
			old, _ := json.Marshal(r)
			b.Put([]byte("old"), old)
			getResult(nil, b, "old", &legacy)
			return nil
		})
		if d := cmp.Diff(r, got); d != "" {
			t.Errorf("read back differs (-written +read):\n%s", d)
		}
		if d := cmp.Diff(r, legacy); d != "" {
			t.Errorf("a result of schema 2 reads back differently (-written +read):\n%s", d)
		}
	}
}

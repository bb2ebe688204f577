package store

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// jsonFiller fills any value of the register's types with random content
// through reflection, so a field added to them later is filled too (and
// fails TestAppendJSON until json_append.go encodes it).
type jsonFiller struct{ rng *rand.Rand }

var jsonPieces = []string{"", "a", "韦小明", "壮族", `"`, `\`, "<script>", "&amp;", ">", "\n", "\r", "\t", "\b", "\f",
	"\x00", "\x1f", "\x7f", "\u2028", "\u2029", "\xff", "\xe4\xb8", "😀", "é", "\u00a0", "/", "'", "0450206"}

var jsonTimes = []time.Time{{}, time.Now(), time.Date(2026, 9, 1, 8, 0, 0, 123456789, time.FixedZone("CST", 8*3600)),
	time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 1, time.FixedZone("", -90*60))}

func (f jsonFiller) fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		var s string
		for range f.rng.IntN(5) {
			s += jsonPieces[f.rng.IntN(len(jsonPieces))]
		}
		v.SetString(s)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(f.rng.IntN(3)) * (f.rng.Int64N(1<<40) - 1<<39)) // a third are 0 (omitempty)
	case reflect.Uint64:
		v.SetUint(uint64(f.rng.IntN(2)) * (f.rng.Uint64() >> f.rng.IntN(64)))
	case reflect.Slice:
		switch f.rng.IntN(3) {
		case 0:
			v.SetZero() // nil: null
		default:
			s := reflect.MakeSlice(v.Type(), f.rng.IntN(4), 4) // may be empty: []
			for i := range s.Len() {
				f.fill(s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(jsonTimes[f.rng.IntN(len(jsonTimes))]))
			return
		}
		for i := range v.NumField() {
			f.fill(v.Field(i))
		}
	default:
		panic("jsonFiller: no case for " + v.Type().String())
	}
}

// The child's JSON built by hand is json.Marshal's, byte for byte: the
// record (the API's answer) and the student.create and student.update
// payloads (NewCommand), for strings that need escaping, Chinese text,
// nil and empty lists, omitted fields and times in other zones.
func TestAppendJSON(t *testing.T) {
	f := jsonFiller{rand.New(rand.NewPCG(3, 4))}
	check := func(i int, what string, got []byte, v any) {
		t.Helper()
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("%s %d:\n got %s\nwant %s", what, i, got, want)
		}
	}
	for i := range 3000 {
		var s Student
		f.fill(reflect.ValueOf(&s).Elem())
		got, err := s.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		check(i, "student", got, s)
		c := &StudentCreate{s.StudentFields}
		check(i, "student.create", c.appendJSON(nil), c)
		u := &StudentUpdate{ID: s.ID, Fields: s.StudentFields}
		check(i, "student.update", u.appendJSON(nil), u)
		cmd, err := NewCommand("c", Actor{}, c)
		if err != nil {
			t.Fatal(err)
		}
		check(i, "NewCommand's payload", cmd.Payload, c)
	}
	// A year encoding/json refuses is refused alike.
	s := Student{UpdatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := s.AppendJSON(nil); err == nil {
		t.Error("year 10000 encoded; encoding/json refuses it")
	}
}

// student.create's payload of a typical child: json.Marshal against
// NewCommand's encoder.
func BenchmarkStudentCreatePayload(b *testing.B) {
	p := &StudentCreate{StudentFields{Name: "韦小明", Gender: "M", IDNumber: "450206201503021234", Ethnicity: "壮族",
		StudentNo: "G450206201503021234", VillageCode: "450206100201", GroupCode: "450206100201-01", Household: "3组12号",
		SchoolCode: "4502061001", Grade: 3, Class: 2, Status: "enrolled", Flags: []string{"left_behind"},
		Details:   FlagDetails{ParentsWorkplace: "广东省东莞市", ParentsPhone: "13800000000"},
		Guardians: []Guardian{{Name: "韦大明", Relation: "父亲", Phone: "13800000000"}}}}
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("appendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := NewCommand("c", Actor{}, p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

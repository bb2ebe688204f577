package jsonfast_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"baoxue/store"
	"baoxue/store/jsonfast"
)

// body is the shape of ui's POST /api/v1/students body (studentCreateRequest).
type body struct {
	store.StudentFields
	CommandID string `json:"command_id"`
}

type inner struct {
	E  string `json:"e"`
	EI int    `json:"ei"`
}

type Tagged struct {
	X string `json:"x"`
}

// sink has a field of every kind jsonfast handles.
type sink struct {
	S     string
	I     int              `json:"i"`
	I8    int8             `json:"i8"`
	I16   int16            `json:"i16"`
	I32   int32            `json:"i32,omitempty"`
	I64   int64            `json:"i64"`
	U     uint             `json:"u"`
	U8    uint8            `json:"u8"`
	U16   uint16           `json:"u16"`
	U32   uint32           `json:"u32"`
	U64   uint64           `json:"u64"`
	F32   float32          `json:"f32"`
	F64   float64          `json:"f64"`
	B     bool             `json:"b"`
	P     *string          `json:"p"`
	PP    **int            `json:"pp"`
	L     []string         `json:"l"`
	LL    [][]int          `json:"ll"`
	A     [2]string        `json:"a"`
	R     json.RawMessage  `json:"r"`
	PR    *json.RawMessage `json:"pr"`
	N     *sink            `json:"n"`
	Ls    []sink           `json:"ls"`
	Named string           `json:"named-x.y"`
	Skip  string           `json:"-"`
	Dash  string           `json:"-,"`
	inner
	Tagged `json:"tagged"`
	unexp  string
}

// declined are types jsonfast leaves to encoding/json.
type withTime struct {
	T time.Time `json:"t"`
}

type withMap struct {
	M map[string]string `json:"m"`
}

type withString struct {
	N int `json:"n,string"`
}

// types are what every input is decoded into.
var types = []struct {
	name string
	new  func() any
}{
	{"Command", func() any { return new(store.Command) }},
	{"StudentCreate", func() any { return new(store.StudentCreate) }},
	{"body", func() any { return new(body) }},
	{"sink", func() any { return new(sink) }},
	{"withTime", func() any { return new(withTime) }},
	{"withMap", func() any { return new(withMap) }},
	{"withString", func() any { return new(withString) }},
	{"[]string", func() any { return new([]string) }},
	{"int8", func() any { return new(int8) }},
}

// same decodes data into a fresh value of each type with jsonfast and with
// encoding/json (Unmarshal, and a Decoder disallowing unknown fields as ui
// uses it), and fails unless jsonfast declined leaving the value zero, or
// its result is encoding/json's and encoding/json had no error. It returns
// which types jsonfast handled.
func same(t testing.TB, data []byte) (handled []string) {
	t.Helper()
	for _, ty := range types {
		fast := ty.new()
		if !jsonfast.Unmarshal(data, fast) {
			if !reflect.ValueOf(fast).Elem().IsZero() {
				t.Fatalf("%s %q: declined but changed the value to %+v", ty.name, data, fast)
			}
			continue
		}
		handled = append(handled, ty.name)
		slow := ty.new()
		if err := json.Unmarshal(data, slow); err != nil {
			t.Fatalf("%s %q: jsonfast decoded %+v, encoding/json failed: %v", ty.name, data, fast, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%s %q:\njsonfast      %#v\nencoding/json %#v", ty.name, data, fast, slow)
		}
		strict := ty.new()
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(strict); err != nil {
			t.Fatalf("%s %q: jsonfast decoded, strict decoder failed: %v", ty.name, data, err)
		}
		if tok, err := dec.Token(); err != io.EOF {
			t.Fatalf("%s %q: jsonfast decoded, strict decoder found trailing %v %v", ty.name, data, tok, err)
		}
		if !reflect.DeepEqual(fast, strict) {
			t.Fatalf("%s %q:\njsonfast       %#v\nstrict decoder %#v", ty.name, data, fast, strict)
		}
	}
	return handled
}

// valid fails unless Valid agrees with json.Valid, or declines data
// nested more than maxDepth deep.
func valid(t testing.TB, data []byte) {
	t.Helper()
	fast, slow := jsonfast.Valid(data), json.Valid(data)
	if fast && !slow || !fast && slow && depth(data) <= 100 {
		t.Fatalf("%q: Valid %v, json.Valid %v", data, fast, slow)
	}
}

// depth is how deep data's brackets nest (counting those in strings too:
// an overestimate is enough here).
func depth(data []byte) int {
	d, most := 0, 0
	for _, c := range data {
		switch c {
		case '{', '[':
			d++
			most = max(most, d)
		case '}', ']':
			d--
		}
	}
	return most
}

// lines are the lines of a testdata file: commands.jsonl holds commands as
// the demo load writes them (store/synth, one or two of each kind),
// bodies.jsonl bodies of POST /api/v1/students (the first as
// ../shared/bench/loadgen sends it).
func lines(t testing.TB, name string) [][]byte {
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	return out
}

// Real commands and bodies take the fast path, with encoding/json's result.
func TestRealInputsTakeTheFastPath(t *testing.T) {
	for _, l := range lines(t, "commands.jsonl") {
		if !jsonfast.Valid(l) {
			t.Errorf("command not valid: %s", l)
		}
		if h := same(t, l); !contains(h, "Command") {
			t.Errorf("command declined: %s", l)
		}
		var c store.Command
		if err := json.Unmarshal(l, &c); err != nil {
			t.Fatal(err)
		}
		if c.Kind == store.KindStudentCreate && !contains(same(t, c.Payload), "StudentCreate") {
			t.Errorf("student.create payload declined: %s", c.Payload)
		}
	}
	for _, l := range lines(t, "bodies.jsonl") {
		if h := same(t, l); !contains(h, "body") {
			t.Errorf("body declined: %s", l)
		}
	}
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// cases are inputs with the types jsonfast must handle ("" where it must
// decline them all); same checks each result.
var cases = []struct {
	in     string
	handle string
}{
	{`{"S":"a","i":-12,"i8":-128,"i16":32767,"i32":5,"i64":-9223372036854775808,"u":1,"u8":255,"u16":65535,"u32":4294967295,"u64":18446744073709551615}`, "sink"},
	{`{"f32":3.4e38,"f64":-1.5e-300,"b":true,"p":"x","pp":7,"l":["a","b"],"ll":[[1],[],null],"a":["x"]}`, "sink"},
	{` {"r" : { "k" : [1, 2.5e3, "\u00e9", true, null] } , "pr":[] } `, "sink"},
	{`{"n":{"n":{"S":"deep"}},"ls":[{"i":1},{}],"named-x.y":"n","-":"dash","e":"embedded","ei":3,"tagged":{"x":"t"}}`, "sink"},
	{`{"S":null,"i":null,"p":null,"l":null,"a":null,"n":null,"pr":null,"tagged":null}`, "sink"},
	{`{"S":"\"\\\/\b\f\n\r\t\u4e2d\uD83D\uDE00 \u0000"}`, "sink"},
	{`{"l":[]}`, "sink"},
	{`{}`, "sink"},
	{`null`, "sink"},
	{"{\"S\":\"学生 😀\"}\n\t\r ", "sink"},
	{`[]`, "[]string"},
	{`-128`, "int8"},
	// declined
	{`{"s":"case-folded key"}`, ""},
	{`{"I":1}`, ""},
	{`{"S":"a","S":"b"}`, ""},
	{`{"zz":1}`, ""},
	{`{"Skip":"json:-"}`, ""},
	{`{"unexp":"x"}`, ""},
	{`{"S":"\ud800"}`, ""},
	{`{"S":"\udc00\ud800"}`, ""},
	{`{"S":"\ud83d\u0041"}`, ""},
	{"{\"S\":\"\xff\"}", ""},
	{"{\"S\":\"\xed\xa0\x80\"}", ""},
	{"{\"S\":\"a\x01\"}", ""},
	{`{"S":"\x"}`, ""},
	{`{"S":"\u12"}`, ""},
	{`{"i8":128}`, ""},
	{`{"u":-1}`, ""},
	{`{"u":-0}`, ""},
	{`{"i":1.0}`, ""},
	{`{"i":1e2}`, ""},
	{`{"i64":9223372036854775808}`, ""},
	{`{"f32":3.5e38}`, ""},
	{`{"f64":1e400}`, ""},
	{`{"i":01}`, ""},
	{`{"i":-}`, ""},
	{`{"i":1.}`, ""},
	{`{"i":"1"}`, ""},
	{`{"S":1}`, ""},
	{`{"b":"true"}`, ""},
	{`{"l":"a"}`, ""},
	{`{"a":["x","y","z"]}`, ""},
	{`{"r":null}`, ""},
	{`{"r":{"a":1,}}`, ""},
	{`{"r":[1 2]}`, ""},
	{`{"r":{"a"}}`, ""},
	{`{"r":tru}`, ""},
	{`{"S":"a",}`, ""},
	{`{"S":"a"} x`, ""},
	{`{"S":"a"}{}`, ""},
	{`{"S":"a"`, ""},
	{`{"\u0053":"escaped key"}`, ""},
	{`{"t":"2026-12-01T00:00:00Z"}`, ""},
	{`{"m":{"a":"b"}}`, ""},
	{`{"n":"1"}`, ""},
	{``, ""},
	{`  `, ""},
	{strings.Repeat(`{"n":`, 150) + `{}` + strings.Repeat(`}`, 150), ""},
	{`{"r":` + strings.Repeat(`[`, 200) + strings.Repeat(`]`, 200) + `}`, ""},
}

func TestAgainstEncodingJSON(t *testing.T) {
	for _, c := range cases {
		valid(t, []byte(c.in))
		h := same(t, []byte(c.in))
		if c.handle == "" && len(h) > 0 {
			t.Errorf("%q: handled as %v, want declined", c.in, h)
		}
		if c.handle != "" && !contains(h, c.handle) {
			t.Errorf("%q: declined as %s, want handled (handled %v)", c.in, c.handle, h)
		}
	}
}

// A value that is not zero would be merged into by encoding/json: declined,
// and left as it was.
func TestDeclinesNonZeroValues(t *testing.T) {
	v := sink{S: "kept"}
	if jsonfast.Unmarshal([]byte(`{"i":1}`), &v) || v.S != "kept" || v.I != 0 {
		t.Fatalf("decoded into a value that was not zero: %+v", v)
	}
	w := sink{B: true}
	if jsonfast.Unmarshal([]byte(`{"i":1}`), &w) || !w.B || w.I != 0 {
		t.Fatalf("decoded into a value that was not zero: %+v", w)
	}
	a := [3]uint8{0, 0, 1}
	if jsonfast.Unmarshal([]byte(`[1]`), &a) || a != [3]uint8{0, 0, 1} {
		t.Fatalf("decoded into a value that was not zero: %v", a)
	}
	var n *sink
	if jsonfast.Unmarshal([]byte(`{}`), n) || jsonfast.Unmarshal([]byte(`{}`), sink{}) {
		t.Fatal("decoded into a nil pointer or a non-pointer")
	}
}

func FuzzUnmarshal(f *testing.F) {
	for _, l := range lines(f, "commands.jsonl") {
		f.Add(l)
	}
	for _, l := range lines(f, "bodies.jsonl") {
		f.Add(l)
	}
	for _, c := range cases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		valid(t, data)
		same(t, data)
	})
}

package ui

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// The hand-built answer to a write on a child is byte for byte what
// encoding/json (c.JSON) writes, for strings that need escaping (quotes,
// backslashes, HTML characters, control characters, U+2028/2029, invalid
// UTF-8), Chinese text, nil and empty lists, omitted fields and times in
// other zones.
func TestStudentAnswerBytes(t *testing.T) {
	pieces := []string{"", "a", "韦小明", "壮族", `"`, `\`, "<script>", "&amp;", ">", "\n", "\r", "\t", "\b", "\f",
		"\x00", "\x1f", "\x7f", "\u2028", "\u2029", "\xff", "\xe4\xb8", "😀", "é", "\u00a0", "/", "'", "0450206"}
	rng := rand.New(rand.NewPCG(1, 2))
	str := func() string {
		var s string
		for range rng.IntN(5) {
			s += pieces[rng.IntN(len(pieces))]
		}
		return s
	}
	list := func() []string {
		switch rng.IntN(3) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		out := make([]string, 1+rng.IntN(3))
		for i := range out {
			out[i] = str()
		}
		return out
	}
	cst := time.FixedZone("CST", 8*3600)
	times := []time.Time{{}, time.Now(), time.Date(2026, 9, 1, 8, 0, 0, 123456789, cst),
		time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 1, time.FixedZone("", -90*60))}
	for i := range 3000 {
		var gs []store.Guardian
		if n := rng.IntN(4); n > 0 {
			gs = make([]store.Guardian, n-1) // n-1 == 0: empty, not nil
			for j := range gs {
				gs[j] = store.Guardian{Name: str(), Relation: str(), Phone: str()}
			}
		}
		v := studentWriteJSON{
			Student: store.Student{ID: str(), Version: rng.Uint64() >> rng.IntN(64),
				StudentFields: store.StudentFields{Name: str(), Gender: str(), IDNumber: str(), Ethnicity: str(),
					StudentNo: str(), VillageCode: str(), GroupCode: str(), Household: str(), SchoolCode: str(),
					Grade: rng.IntN(20) - 5, Class: rng.IntN(1 << 20), Status: str(), Flags: list(),
					Details: store.FlagDetails{PovertyHouseholdID: str(), ParentsWorkplace: str(), ParentsPhone: str(),
						DisabilityCategory: str(), Placement: str()},
					Guardians: gs},
				BirthDate: str(), Age: rng.IntN(3) * rng.IntN(20), TownshipCode: str(),
				CreatedAt: times[rng.IntN(len(times))], CreatedBy: str(), UpdatedAt: times[rng.IntN(len(times))], UpdatedBy: str()},
			Command: commandJSON{ID: str(), State: str(), Reason: str(), Index: uint64(rng.IntN(2)) * rng.Uint64()},
		}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(v); err != nil {
			t.Fatal(err)
		}
		got, ok := appendStudentWrite(nil, &v)
		if !ok {
			t.Fatalf("case %d: not encoded", i)
		}
		if got = append(got, '\n'); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("case %d:\n got %s\nwant %s", i, got, want.Bytes())
		}
	}
	// A year encoding/json refuses is left to it (and answered as its error).
	v := studentWriteJSON{Student: store.Student{CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if _, ok := appendStudentWrite(nil, &v); ok {
		t.Error("year 10000 encoded; encoding/json refuses it")
	}
}

// The answer to a write on a child carries its length (not chunked) and is
// the bytes encoding/json makes of it; ?pretty still indents.
func TestStudentAnswerOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	r := e.api("POST", "/api/v1/students", tok, child("韦小明<&>", 13)).want(t, http.StatusCreated, "create")
	if cl := r.header.Get("Content-Length"); cl != strconv.Itoa(len(r.body)) {
		t.Errorf("Content-Length %q, body %d bytes", cl, len(r.body))
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var v studentWriteJSON
	r.json(t, &v)
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(r.body) != string(want)+"\n" {
		t.Errorf("answer\n got %s\nwant %s", r.body, want)
	}
	if !bytes.Contains(r.body, []byte(`\u003c\u0026\u003e`)) {
		t.Errorf("HTML characters not escaped: %s", r.body)
	}
	id := v.Student.ID
	r = e.api("PATCH", "/api/v1/students/"+id+"?pretty", tok, map[string]any{"version": v.Student.Version, "household": "3组12号"})
	if r.status != http.StatusOK || !bytes.Contains(r.body, []byte("\n  \"student\": {")) {
		t.Errorf("?pretty: %d %s", r.status, r.body)
	}
}

// The answer to a typical new child: encoding/json against appendStudentWrite.
func sampleAnswer() studentWriteJSON {
	return studentWriteJSON{Student: store.Student{ID: "S123456", Version: 1, StudentFields: store.StudentFields{Name: "韦小明", Gender: "M",
		IDNumber: "450206201503021234", Ethnicity: "壮族", StudentNo: "G450206201503021234", VillageCode: "450206100201", GroupCode: "450206100201-01",
		Household: "3组12号", SchoolCode: "4502061001", Grade: 3, Class: 2, Status: "enrolled", Flags: []string{"left_behind"},
		Details:   store.FlagDetails{ParentsWorkplace: "广东省东莞市", ParentsPhone: "13800000000"},
		Guardians: []store.Guardian{{Name: "韦大明", Relation: "父亲", Phone: "13800000000"}}},
		BirthDate: "2015-03-02", Age: 11, TownshipCode: "450206100", CreatedAt: time.Now(), CreatedBy: "officer", UpdatedAt: time.Now(), UpdatedBy: "officer"},
		Command: commandJSON{ID: "01JABCDEFGHJKMNPQRSTVWXYZ0", State: "applied", Index: 123456}}
}

func BenchmarkAnswerEncodingJSON(b *testing.B) {
	v := sampleAnswer()
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		json.NewEncoder(&buf).Encode(v)
	}
}

func BenchmarkAnswerHand(b *testing.B) {
	v := sampleAnswer()
	b.ReportAllocs()
	for b.Loop() {
		appendStudentWrite(make([]byte, 0, 1024), &v)
	}
}

// Every answer to a write on a child has a Content-Length over real
// net/http, one longer than net/http's buffer too (it would be chunked).
func TestStudentAnswerLength(t *testing.T) {
	for _, n := range []int{1, 700, 1400, 3000, 70000} {
		v := studentWriteJSON{Student: store.Student{ID: "S1", StudentFields: store.StudentFields{Household: strings.Repeat("户", n)}}}
		e := echo.New()
		e.POST("/", func(c echo.Context) error { return writeStudentAnswer(c, http.StatusCreated, v) })
		ts := httptest.NewServer(e)
		res, err := http.Post(ts.URL, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		ts.Close()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(v)
		if res.StatusCode != http.StatusCreated || res.ContentLength != int64(len(body)) || len(res.TransferEncoding) > 0 ||
			string(body) != string(want)+"\n" {
			t.Errorf("%d characters: status %d, Content-Length %d, Transfer-Encoding %v, %d bytes, the same as encoding/json's: %t",
				n, res.StatusCode, res.ContentLength, res.TransferEncoding, len(body), string(body) == string(want)+"\n")
		}
	}
}

package store

import (
	"bufio"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"baoxue/store/jsonfast"
)

// The payloads of the demo's commands (one or two of each kind its load
// writes) take jsonfast's one pass, with encoding/json's result: a field
// of a type jsonfast declines (one with UnmarshalJSON, a map) would put
// every command of that kind back on encoding/json, a quarter of a
// follower's CPU per write (sync/DESIGN.md, "Where the time goes"). Only
// kinds issued a few times a year (set-up, users, the calendar, which carry
// a time.Time or a date type) may be declined.
func TestDemoPayloadsDecodeInOnePass(t *testing.T) {
	rare := map[string]bool{KindDistrictInit: true, KindUserCreate: true, KindCalendarSet: true}
	f, err := os.Open("jsonfast/testdata/commands.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	kinds := 0
	for sc.Scan() {
		var c Command
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		e := registry[c.Kind]
		if e == nil {
			t.Fatalf("no kind %q", c.Kind)
		}
		fast, slow := reflect.New(e.payload), reflect.New(e.payload)
		if !jsonfast.Unmarshal(c.Payload, fast.Interface()) {
			if rare[c.Kind] {
				continue
			}
			t.Errorf("%s: payload declined by jsonfast: %s", c.Kind, c.Payload)
			continue
		}
		if err := json.Unmarshal(c.Payload, slow.Interface()); err != nil || !reflect.DeepEqual(fast.Interface(), slow.Interface()) {
			t.Errorf("%s: jsonfast %+v, encoding/json %+v (%v)", c.Kind, fast, slow, err)
		}
		kinds++
	}
	if kinds < 12 {
		t.Errorf("%d demo commands checked, want at least 12", kinds)
	}
}

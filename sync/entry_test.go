package sync

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"baoxue/store"
)

// entryFor gives the command encoding/json gives, whether the bytes take
// jsonfast's one pass (the leader's own encoding) or not (keys in another
// case, an unknown key, a key twice: encoding/json's own rules), and a
// log entry that is not a command is an error naming its index.
func TestEntryForDecodesAsEncodingJSON(t *testing.T) {
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for _, data := range []string{
		`{"id":"c1","kind":"student.create","actor":{"user":"u","role":"admin","node":"n1"},"origin":"n1.0123456789ab","seq":7,"payload":{"name":"韦小明","grade":3},"request_digest":"ab"}`,
		`{"ID":"c1","Kind":"student.create","actor":{"User":"u"},"payload":{"name":"韦小明"}}`,
		`{"id":"c1","kind":"student.create","extra":1,"payload":{}}`,
		`{"id":"c1","id":"c2","kind":"student.create","payload":{}}`,
		`{"id":"\ud800","kind":"x","payload":[]}`,
	} {
		var want store.Command
		if err := json.Unmarshal([]byte(data), &want); err != nil {
			t.Fatal(err)
		}
		e, err := entryFor(&raft.Log{Index: 9, Data: []byte(data), AppendedAt: at})
		if err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		if !reflect.DeepEqual(e.Command, want) || e.Index != 9 || !e.Time.Equal(at) || e.Time.Location() != time.UTC {
			t.Errorf("%s:\ngot  %+v at %d, %v\nwant %+v", data, e.Command, e.Index, e.Time, want)
		}
	}
	for _, data := range []string{`{"id":"c1"`, `{"seq":-1}`, `not json`} {
		if _, err := entryFor(&raft.Log{Index: 12, Data: []byte(data)}); err == nil || !strings.Contains(err.Error(), "index 12") {
			t.Errorf("%s: error %v, want one naming index 12", data, err)
		}
	}
}

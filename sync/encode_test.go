package sync

import (
	"encoding/json"
	"reflect"
	"testing"

	"baoxue/store"
)

// TestEncodeCommand checks that the log bytes the leader writes decode, on
// every follower, to the very command the leader applies itself when it
// says so (exact), and to what encoding/json's bytes decode to otherwise. A
// difference would make the leader's register differ from the others'.
func TestEncodeCommand(t *testing.T) {
	base := store.Command{ID: "01J0", Kind: "student.create", Actor: store.Actor{User: "admin", Role: "admin", Node: "v1"},
		Payload: json.RawMessage(`{"name":"学生","note":"a \"quote\" \\ <b>&"}`)}
	with := func(f func(*store.Command)) store.Command { c := base; f(&c); return c }
	cases := []struct {
		name  string
		cmd   store.Command
		exact bool
	}{
		{"plain", base, true},
		{"every field", with(func(c *store.Command) {
			c.Origin, c.Seq, c.Version, c.V, c.RequestDigest = "town-1a2b", 7, 3, 2, "sha256:ab"
		}), true},
		{"negative payload version", with(func(c *store.Command) { c.V = -1 }), true},
		{"quotes, controls, non-ASCII, U+2028 in strings", with(func(c *store.Command) {
			c.Actor.User = "韦\"x\\y\n\t\x01\u2028<>&"
		}), true},
		{"payload with inner space", with(func(c *store.Command) { c.Payload = json.RawMessage(`{ "a" : [1, 2] }`) }), true},
		{"payload null", with(func(c *store.Command) { c.Payload = json.RawMessage(`null`) }), true},
		{"invalid UTF-8", with(func(c *store.Command) { c.Actor.User = "a\xffb" }), false},
		{"no payload", with(func(c *store.Command) { c.Payload = nil }), false},
		{"payload with outer space", with(func(c *store.Command) { c.Payload = json.RawMessage(` {"a":1}`) }), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data, exact, err := encodeCommand(tc.cmd)
			if err != nil {
				t.Fatal(err)
			}
			if exact != tc.exact {
				t.Fatalf("exact = %v, want %v", exact, tc.exact)
			}
			var got, viaJSON store.Command
			if err := json.Unmarshal(data, &got); err != nil {
				t.Fatalf("log bytes %s do not decode: %v", data, err)
			}
			std, err := json.Marshal(tc.cmd)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(std, &viaJSON); err != nil {
				t.Fatal(err)
			}
			if exact && !reflect.DeepEqual(got, tc.cmd) {
				t.Errorf("decoded %+v, the leader applies %+v", got, tc.cmd)
			}
			var a, b any
			_ = json.Unmarshal(got.Payload, &a)
			_ = json.Unmarshal(viaJSON.Payload, &b)
			got.Payload, viaJSON.Payload = nil, nil
			if !reflect.DeepEqual(got, viaJSON) || !reflect.DeepEqual(a, b) {
				t.Errorf("decodes to %+v (payload %v), encoding/json's bytes to %+v (payload %v)", got, a, viaJSON, b)
			}
		})
	}
	if _, _, err := encodeCommand(with(func(c *store.Command) { c.Payload = json.RawMessage(`{"a":`) })); err == nil {
		t.Error("a command with a broken payload was encoded")
	}
}

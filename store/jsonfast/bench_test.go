package jsonfast_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"baoxue/store"
	"baoxue/store/jsonfast"
)

// BenchmarkDecode decodes what a replicated student.create costs in JSON
// decoding: the command envelope (sync's entryFor, every node), its payload
// (Entry.Decode, every node) and the POST body (ui, the leader), with
// encoding/json as the code did before and with jsonfast, in one run:
//
//	go test ./store/jsonfast -run '^$' -bench Decode -benchmem -count 6
func BenchmarkDecode(b *testing.B) {
	var envelope []byte
	for _, l := range lines(b, "commands.jsonl") {
		if bytes.Contains(l, []byte(`"kind":"student.create"`)) {
			envelope = l
			break
		}
	}
	var c store.Command
	if err := json.Unmarshal(envelope, &c); err != nil {
		b.Fatal(err)
	}
	post := lines(b, "bodies.jsonl")[0]
	inputs := []struct {
		name string
		data []byte
		new  func() any
	}{
		{"envelope", envelope, func() any { return new(store.Command) }},
		{"payload", c.Payload, func() any { return new(store.StudentCreate) }},
		{"body", post, func() any { return new(body) }},
	}
	for _, in := range inputs {
		b.Run(in.name+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := json.Unmarshal(in.data, in.new()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(in.name+"/jsonfast", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !jsonfast.Unmarshal(in.data, in.new()) {
					b.Fatal("declined")
				}
			}
		})
	}
}

// BenchmarkValid checks a student.create payload as the leader does before
// it applies its own command (sync's roundTrips).
func BenchmarkValid(b *testing.B) {
	var c store.Command
	for _, l := range lines(b, "commands.jsonl") {
		if bytes.Contains(l, []byte(`"kind":"student.create"`)) {
			if err := json.Unmarshal(l, &c); err != nil {
				b.Fatal(err)
			}
			break
		}
	}
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			if !json.Valid(c.Payload) {
				b.Fatal("invalid")
			}
		}
	})
	b.Run("jsonfast", func(b *testing.B) {
		for b.Loop() {
			if !jsonfast.Valid(c.Payload) {
				b.Fatal("invalid")
			}
		}
	})
}

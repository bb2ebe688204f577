package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"
)

// TestFastTextAsTextHandler: whatever fastText writes, for records it
// formats itself and ones it hands over, is slog.TextHandler's line byte
// for byte.
func TestFastTextAsTextHandler(t *testing.T) {
	at := time.Date(2026, 12, 1, 8, 57, 3, 587_999_999, time.UTC)
	strs := []string{"POST", "/api/v1/students", "", "a b", "a=b", `say "hi"`, `back\slash`, "柳江区", "tab\there",
		"nJhfNYPXqKnEQfQGEMLIREeRaIbUWxIx", "127.0.0.1", "::1", "x\x7fy", "é", "-", "{}[]"}
	var records []slog.Record
	for _, s := range strs {
		r := slog.NewRecord(at, slog.LevelInfo, "request", 0)
		r.AddAttrs(slog.String("method", s), slog.String(s, "v"), slog.Int("status", 201),
			slog.Duration("latency", 1234567*time.Nanosecond), slog.Duration("d", 830*time.Nanosecond))
		records = append(records, r)
		records = append(records, slog.NewRecord(at, slog.LevelWarn+2, s, 0))
	}
	odd := slog.NewRecord(time.Time{}, slog.LevelDebug, "odd", 0)
	odd.AddAttrs(slog.Int64("neg", -42), slog.Uint64("u", 7), slog.Bool("ok", true), slog.Float64("f", 0.5),
		slog.Any("err", errors.New("disk on fire")), slog.Time("when", at), slog.Group("g", slog.String("k", "v")),
		slog.Attr{}, slog.Duration("zero", 0))
	records = append(records, odd, slog.NewRecord(at.In(time.FixedZone("CST", 8*3600)), slog.LevelError, "zone", 0))

	withs := []func(slog.Handler) slog.Handler{
		func(h slog.Handler) slog.Handler { return h },
		func(h slog.Handler) slog.Handler { return h.WithAttrs([]slog.Attr{slog.String("component", "ui")}) },
		func(h slog.Handler) slog.Handler {
			return h.WithAttrs([]slog.Attr{slog.String("component", "raft")}).WithAttrs([]slog.Attr{slog.Int("n", 3)})
		},
		func(h slog.Handler) slog.Handler { return h.WithAttrs([]slog.Attr{slog.String("who", "a b")}) },
		func(h slog.Handler) slog.Handler {
			return h.WithGroup("grp").WithAttrs([]slog.Attr{slog.String("k", "v")})
		},
	}
	for wi, with := range withs {
		for ri, r := range records {
			var want, got bytes.Buffer
			opts := &slog.HandlerOptions{Level: slog.LevelDebug}
			if err := with(slog.NewTextHandler(&want, opts)).Handle(context.Background(), r.Clone()); err != nil {
				t.Fatal(err)
			}
			buf := newLogBuffer(&got)
			h := with(&fastText{text: slog.NewTextHandler(buf, opts), buf: buf, plain: true})
			if err := h.Handle(context.Background(), r.Clone()); err != nil {
				t.Fatal(err)
			}
			if err := buf.Flush(); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("with %d, record %d:\n got %q\nwant %q", wi, ri, got.String(), want.String())
			}
		}
	}
}

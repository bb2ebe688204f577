package main

import (
	"baoxue/store/cputime"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLogBuffer: INFO lines wait at most a moment and come out whole and in
// order; a warning is written at once with the lines before it; flush
// (what serve and demo do when they return) leaves nothing behind; a line
// larger than the buffer is written whole.
func TestLogBuffer(t *testing.T) {
	var out lockedBuffer
	log, flush, err := newLogger(&out, "info")
	if err != nil {
		t.Fatal(err)
	}
	log = log.With("component", "test")
	log.Debug("not at this level")
	log.Info("first", "n", 1)
	log.Info("second", "n", 2)
	if s := out.String(); s != "" {
		t.Fatalf("INFO written at once: %q", s)
	}
	deadline := time.Now().Add(5 * time.Second)
	for out.String() == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "msg=first component=test n=1") || !strings.Contains(lines[1], "msg=second") {
		t.Fatalf("after the timer: %q", lines)
	}

	log.Info("third")
	log.Warn("careful")
	s := out.String()
	if !strings.Contains(s, "msg=third") || !strings.HasSuffix(s, "level=WARN msg=careful component=test\n") {
		t.Fatalf("a warning is not written at once with what came before:\n%s", s)
	}

	log.Info("last before stop")
	big := strings.Repeat("x", logBufferSize+10)
	log.Info("big", "v", big)
	log.Info("after big")
	flush()
	s = out.String()
	i, j, k := strings.Index(s, "last before stop"), strings.Index(s, big), strings.Index(s, "after big")
	if i < 0 || j < i || k < j || strings.Contains(s, "not at this level") {
		t.Fatalf("after flush, lines missing or out of order (%d %d %d)", i, j, k)
	}
}

// BenchmarkLogLine: an access line as the ui logs it (issue 12) into a
// file: through slog's TextHandler straight (as before), through it into
// the buffer, and through newLogger (buffer and fastText).
func BenchmarkLogLine(b *testing.B) {
	for _, way := range []string{"text", "buffered", "newLogger"} {
		b.Run(way, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "log"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			opts := &slog.HandlerOptions{Level: slog.LevelInfo}
			var h slog.Handler = slog.NewTextHandler(f, opts)
			flush := func() {}
			switch way {
			case "buffered":
				buf := newLogBuffer(f)
				h, flush = flushAtWarn{slog.NewTextHandler(buf, opts), buf}, func() { _ = buf.Flush() }
			case "newLogger":
				var log *slog.Logger
				log, flush, _ = newLogger(f, "info")
				h = log.Handler()
			}
			h = h.WithAttrs([]slog.Attr{slog.String("component", "ui")})
			ctx := context.Background()
			b.ReportAllocs()
			cpu := cputime.Process()
			for b.Loop() {
				r := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
				r.AddAttrs(slog.String("method", "POST"), slog.String("path", "/api/v1/students"), slog.Int("status", 201),
					slog.Duration("latency", 1234567*time.Nanosecond),
					slog.String("request_id", "nJhfNYPXqKnEQfQGEMLIREeRaIbUWxIx"), slog.String("remote_ip", "127.0.0.1"))
				_ = h.Handle(ctx, r)
			}
			flush()
			b.ReportMetric(float64(cputime.Process()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

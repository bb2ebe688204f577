package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// The log's buffer (issue 12): the leader logs a line per request, and a
// write(2) of each cost ~2 µs of a write's CPU. Lines are held for up to
// logFlushEvery or until logBufferSize bytes wait, and written together. A
// record at WARN or above is written at once with everything before it,
// and serve and demo flush the buffer when they return, so a clean stop
// loses nothing; a crash (a panic outside the main goroutine, a kill) may
// lose the INFO and DEBUG lines of its last logFlushEvery.
const (
	logFlushEvery = 100 * time.Millisecond
	logBufferSize = 32 << 10
)

// logBuffer is an io.Writer that holds what is written for a moment.
type logBuffer struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	armed bool // the timer will flush
	timer *time.Timer
}

func newLogBuffer(w io.Writer) *logBuffer {
	b := &logBuffer{w: w, buf: make([]byte, 0, logBufferSize)}
	b.timer = time.AfterFunc(time.Hour, func() { _ = b.Flush() })
	b.timer.Stop()
	return b
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf)+len(p) > cap(b.buf) {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > cap(b.buf) {
			return b.w.Write(p)
		}
	}
	b.buf = append(b.buf, p...)
	if !b.armed {
		b.armed = true
		b.timer.Reset(logFlushEvery)
	}
	return len(p), nil
}

// Flush writes what is held.
func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

func (b *logBuffer) flushLocked() error {
	b.armed = false // a timer still running finds nothing, or the next lines
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

// flushAtWarn writes a record at WARN or above out at once, with the lines
// before it: warnings and errors are never held back.
type flushAtWarn struct {
	slog.Handler
	buf *logBuffer
}

func (h flushAtWarn) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.buf.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h flushAtWarn) WithAttrs(as []slog.Attr) slog.Handler {
	return flushAtWarn{h.Handler.WithAttrs(as), h.buf}
}

func (h flushAtWarn) WithGroup(name string) slog.Handler {
	return flushAtWarn{h.Handler.WithGroup(name), h.buf}
}

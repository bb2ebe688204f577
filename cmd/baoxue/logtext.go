package main

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// fastText writes the records of plain attributes (strings of plain
// ASCII, integers, booleans, durations) itself, byte for byte as
// slog.TextHandler would, and hands every other record to that handler
// (issue 12: slog's generic formatting of the access line was ~3 µs of a
// write's CPU on the leader). TestFastTextAsTextHandler compares the two.
// It knows TextHandler's options as newLogger sets them (a level only: no
// ReplaceAttr, no AddSource); setting others needs the same here.
type fastText struct {
	text  slog.Handler // the TextHandler, for every other record
	buf   *logBuffer
	pre   []byte // the With attributes, formatted
	plain bool   // no group and every With attribute plain: the fast path may be taken
}

var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func (h *fastText) Enabled(ctx context.Context, l slog.Level) bool { return h.text.Enabled(ctx, l) }

func (h *fastText) Handle(ctx context.Context, r slog.Record) error {
	if !h.plain || !plainString(r.Message) {
		return h.text.Handle(ctx, r)
	}
	bp := lineBufs.Get().(*[]byte)
	defer lineBufs.Put(bp)
	b := (*bp)[:0]
	if !r.Time.IsZero() {
		b = append(b, "time="...)
		b = appendRFC3339Millis(b, r.Time.Round(0))
		b = append(b, ' ')
	}
	b = append(b, "level="...)
	b = append(b, r.Level.String()...)
	b = append(b, " msg="...)
	b = append(b, r.Message...)
	b = append(b, h.pre...)
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		b, ok = appendPlain(b, a)
		return ok
	})
	if !ok {
		return h.text.Handle(ctx, r)
	}
	b = append(b, '\n')
	*bp = b
	_, err := h.buf.Write(b)
	return err
}

func (h *fastText) WithAttrs(as []slog.Attr) slog.Handler {
	n := &fastText{text: h.text.WithAttrs(as), buf: h.buf, pre: h.pre[:len(h.pre):len(h.pre)], plain: h.plain}
	for i := 0; i < len(as) && n.plain; i++ {
		n.pre, n.plain = appendPlain(n.pre, as[i])
	}
	return n
}

func (h *fastText) WithGroup(name string) slog.Handler {
	return &fastText{text: h.text.WithGroup(name), buf: h.buf}
}

// appendPlain appends " key=value" as TextHandler does, or reports that
// the attribute is not one this file formats.
func appendPlain(b []byte, a slog.Attr) ([]byte, bool) {
	if !plainString(a.Key) {
		return b, false
	}
	b = append(b, ' ')
	b = append(b, a.Key...)
	b = append(b, '=')
	switch v := a.Value; v.Kind() {
	case slog.KindString:
		if !plainString(v.String()) {
			return b, false
		}
		b = append(b, v.String()...)
	case slog.KindInt64:
		b = strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		b = strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindBool:
		b = strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		b = append(b, v.Duration().String()...)
	default:
		return b, false
	}
	return b, true
}

// plainString reports whether TextHandler writes s as it is, by a
// narrower rule than its own (printable ASCII but for space, '=', '"' and
// '\'; not empty): anything else takes TextHandler's path.
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '=' || c == '"' || c == '\\' {
			return false
		}
	}
	return s != ""
}

// appendRFC3339Millis is TextHandler's time: RFC 3339 with exactly three
// digits of milliseconds (log/slog's function of that name).
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...) // drop the 4th digit
}

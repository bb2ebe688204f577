// Package jsonfast decodes the JSON of commands and request bodies in one
// pass, for the shapes they use, and gives exactly what encoding/json gives
// — or declines, and the caller decodes with encoding/json as before.
//
// encoding/json reads its input twice (a validating scan, then the decode,
// both a byte at a time through a state machine) and looks every key up
// case-insensitively; under replicated writes that was about a quarter of a
// follower's CPU (sync/DESIGN.md, "Where the time goes"). This package
// handles only inputs whose result is certain: it declines a key that is not
// exactly a field's name (so unknown fields, and encoding/json's
// case-insensitive matches, go to encoding/json), a key given twice, a
// string that is not valid UTF-8 or holds a lone surrogate, a number that
// does not fit or is not an integer where an integer is wanted, a value of
// the wrong type, trailing data, and types it does not know (interfaces,
// maps, []byte, embedded pointers, ",string" fields, any type with an
// UnmarshalJSON or UnmarshalText method but json.RawMessage). A caller that
// falls back gets encoding/json's result or error, unchanged.
//
// It imports nothing of ours, so store, sync and ui can all use it.
package jsonfast

import (
	"encoding/binary"
	"reflect"
	"strconv"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// Unmarshal decodes data into v and reports true when the result is what
// json.Unmarshal(data, v) gives, with a nil error. It reports false, and
// leaves v as it was, when it declines: v is not a non-nil pointer to a
// zero value of a type it handles, or data is outside what it handles
// (package comment). A true result also means data is one JSON value with
// no unknown keys and nothing but white space after it, so a caller using a
// json.Decoder with DisallowUnknownFields and a check for trailing data
// would have had no error either. Safe for concurrent use.
func Unmarshal(data []byte, v any) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	t := rv.Type().Elem()
	c := codecFor(t)
	if c == nil {
		return false
	}
	p := rv.UnsafePointer()
	if !isZero(p, t.Size()) {
		return false // encoding/json would merge into it; we only fill zero values
	}
	d := decoder{data: data}
	d.space()
	if c.decode(&d, p) {
		if d.space(); d.i == len(data) {
			return true
		}
	}
	rv.Elem().SetZero() // as it was: typed, so the garbage collector sees it
	return false
}

// Valid reports whether data is one JSON value with only white space
// around it, as json.Valid does, checking in one pass what that checks a
// byte at a time through a state machine. It says false for data nested
// more than 100 deep, valid or not: a caller that must accept such data
// asks json.Valid when Valid says false. Safe for concurrent use.
func Valid(data []byte) bool {
	d := decoder{data: data}
	d.space()
	if !d.skip() {
		return false
	}
	d.space()
	return d.i == len(data)
}

// isZero reports whether the size bytes at p are all zero: the zero value
// of every Go type, and only it.
func isZero(p unsafe.Pointer, size uintptr) bool {
	if size == 0 {
		return true
	}
	// One slice of the value's own bytes: no pointer ever reaches past
	// it (the race detector's checkptr refused a *uint64 onto a smaller
	// value). NativeEndian's Uint64 is one load.
	b := unsafe.Slice((*byte)(p), size)
	for len(b) >= 8 {
		if binary.NativeEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// maxDepth bounds nesting; deeper input is declined (encoding/json's own
// limit is 10,000).
const maxDepth = 100

// decoder is the input and the read position in it.
type decoder struct {
	data  []byte
	i     int
	depth int
	buf   []byte // scratch for strings with escapes
}

// space skips white space as JSON defines it.
func (d *decoder) space() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek is the byte at the read position, 0 at the end.
func (d *decoder) peek() byte {
	if d.i < len(d.data) {
		return d.data[d.i]
	}
	return 0
}

// literal consumes lit (true, false, null) at the read position.
func (d *decoder) literal(lit string) bool {
	if len(d.data)-d.i < len(lit) || string(d.data[d.i:d.i+len(lit)]) != lit {
		return false
	}
	d.i += len(lit)
	return true
}

// enter and leave count nesting for maxDepth.
func (d *decoder) enter() bool {
	d.depth++
	return d.depth <= maxDepth
}

func (d *decoder) leave() { d.depth-- }

// next consumes white space and the comma or closing bracket after an
// element, reporting more for a comma, ok false for anything else.
func (d *decoder) next(closing byte) (more, ok bool) {
	d.space()
	switch d.peek() {
	case ',':
		d.i++
		d.space()
		return true, true
	case closing:
		d.i++
		return false, true
	}
	return false, false
}

// number consumes a number as JSON's grammar has it and returns its text,
// and whether it is an integer (no fraction, no exponent).
func (d *decoder) number() (lit []byte, integer, ok bool) {
	s, i := d.data, d.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digits(s, i)
	default:
		return nil, false, false
	}
	integer = true
	if i < len(s) && s[i] == '.' {
		integer = false
		j := digits(s, i+1)
		if j == i+1 {
			return nil, false, false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		integer = false
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			return nil, false, false
		}
		i = j
	}
	lit, d.i = s[d.i:i], i
	return lit, integer, true
}

func digits(s []byte, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// key consumes an object key and the colon after it. Keys with escapes are
// declined: our field names never need one.
func (d *decoder) key() ([]byte, bool) {
	if d.peek() != '"' {
		return nil, false
	}
	start := d.i + 1
	i := plainRun(d.data, start)
	if i >= len(d.data) || d.data[i] != '"' {
		return nil, false
	}
	k := d.data[start:i]
	d.i = i + 1
	d.space()
	if d.peek() != ':' {
		return nil, false
	}
	d.i++
	d.space()
	return k, true
}

// str consumes a string and returns its value, declining invalid UTF-8 and
// lone surrogates (encoding/json would put U+FFFD in their place).
func (d *decoder) str() (string, bool) {
	if d.peek() != '"' {
		return "", false
	}
	start := d.i + 1
	i := plainRun(d.data, start)
	if i >= len(d.data) {
		return "", false
	}
	switch d.data[i] {
	case '\\':
		return d.escaped(start, i)
	case '"':
		b := d.data[start:i]
		if !utf8.Valid(b) {
			return "", false
		}
		d.i = i + 1
		return string(b), true
	}
	return "", false // a control character
}

// plain marks the bytes a string holds as they are: not '"', '\\' or a
// control character.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainRun is the index of the first byte from i on that is not plain.
func plainRun(s []byte, i int) int {
	for i+4 <= len(s) && plain[s[i]] && plain[s[i+1]] && plain[s[i+2]] && plain[s[i+3]] {
		i += 4
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	return i
}

// escaped finishes a string that has an escape at i.
func (d *decoder) escaped(start, i int) (string, bool) {
	buf := append(d.buf[:0], d.data[start:i]...)
	s := d.data
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			d.buf = buf
			if !utf8.Valid(buf) {
				return "", false
			}
			d.i = i + 1
			return string(buf), true
		case c < 0x20:
			return "", false
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", false
		}
		switch s[i+1] {
		case '"', '\\', '/':
			buf = append(buf, s[i+1])
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, n := unicodeEscape(s[i:])
			if n == 0 {
				return "", false
			}
			buf = utf8.AppendRune(buf, r)
			i += n
			continue
		default:
			return "", false
		}
		i += 2
	}
	return "", false
}

// unicodeEscape reads \uXXXX (or a valid surrogate pair of them) at the
// start of s, returning the rune and the bytes read, 0 when declined.
func unicodeEscape(s []byte) (rune, int) {
	r := hex4(s)
	switch {
	case r < 0:
		return 0, 0
	case r < 0xd800 || r > 0xdfff:
		return r, 6
	case r >= 0xdc00: // a low surrogate first
		return 0, 0
	}
	if len(s) < 12 || s[6] != '\\' || s[7] != 'u' {
		return 0, 0
	}
	lo := hex4(s[6:])
	if lo < 0xdc00 || lo > 0xdfff {
		return 0, 0
	}
	return 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00), 12
}

// hex4 is the value of \uXXXX at the start of s, -1 if it is not one.
func hex4(s []byte) rune {
	if len(s) < 6 {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// skip consumes one value of any kind, checking its syntax as strictly as
// encoding/json's scanner does (strings are not checked for UTF-8: neither
// does encoding/json for a json.RawMessage, which keeps the bytes).
func (d *decoder) skip() bool {
	switch c := d.peek(); {
	case c == '"':
		return d.skipString()
	case c == '{' || c == '[':
		return d.skipComposite(c)
	case c == '-' || c >= '0' && c <= '9':
		_, _, ok := d.number()
		return ok
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	}
	return false
}

func (d *decoder) skipComposite(open byte) bool {
	if !d.enter() {
		return false
	}
	closing := byte(']')
	if open == '{' {
		closing = '}'
	}
	d.i++
	d.space()
	if d.peek() == closing {
		d.i++
		d.leave()
		return true
	}
	for more := true; more; {
		if open == '{' {
			if !d.skipString() {
				return false
			}
			if d.space(); d.peek() != ':' {
				return false
			}
			d.i++
			d.space()
		}
		if !d.skip() {
			return false
		}
		var ok bool
		if more, ok = d.next(closing); !ok {
			return false
		}
	}
	d.leave()
	return true
}

func (d *decoder) skipString() bool {
	if d.peek() != '"' {
		return false
	}
	s := d.data
	for i := d.i + 1; ; i++ {
		if i = plainRun(s, i); i >= len(s) || s[i] < 0x20 {
			return false
		}
		if s[i] == '"' {
			d.i = i + 1
			return true
		}
		if i+1 >= len(s) { // a backslash
			return false
		}
		switch s[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i++
		case 'u':
			if hex4(s[i:]) < 0 {
				return false
			}
			i += 5
		default:
			return false
		}
	}
}

// codec decodes one value into the memory at p, which holds a zero value of
// its type; false declines.
type codec struct {
	decode func(d *decoder, p unsafe.Pointer) bool
}

var codecs sync.Map // reflect.Type → *codec, nil for a type not handled

// codecFor is t's codec, nil if t is not handled; made once per type.
func codecFor(t reflect.Type) *codec {
	if c, ok := codecs.Load(t); ok {
		return c.(*codec)
	}
	c := compile(t, map[reflect.Type]*codec{})
	codecs.Store(t, c)
	return c
}

// atoi parses an integer literal as encoding/json does (strconv on the
// literal) into a signed integer of the given bits.
func atoi(lit []byte, bits int) (int64, bool) {
	n, err := strconv.ParseInt(unsafe.String(unsafe.SliceData(lit), len(lit)), 10, 64)
	if err != nil || bits < 64 && (n < -int64(1)<<(bits-1) || n >= int64(1)<<(bits-1)) {
		return 0, false
	}
	return n, true
}

func atou(lit []byte, bits int) (uint64, bool) {
	n, err := strconv.ParseUint(unsafe.String(unsafe.SliceData(lit), len(lit)), 10, 64)
	if err != nil || bits < 64 && n >= uint64(1)<<bits {
		return 0, false
	}
	return n, true
}

func atof(lit []byte, bits int) (float64, bool) {
	n, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(lit), len(lit)), bits)
	return n, err == nil
}

package jsonfast

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"unsafe"
)

var (
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textType        = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// compile makes t's codec, nil if t is not handled. memo holds the types
// being compiled, so a recursive type refers to its own codec; a type that
// fails makes every type holding it fail, so a codec left half made is
// never used.
func compile(t reflect.Type, memo map[reflect.Type]*codec) *codec {
	if c, ok := memo[t]; ok {
		return c
	}
	if t == rawMessageType {
		return &codec{decode: decodeRaw}
	}
	if pt := reflect.PointerTo(t); t.Kind() != reflect.Pointer && // a *X has X's methods: checked at X
		(t.Implements(unmarshalerType) || t.Implements(textType) || pt.Implements(unmarshalerType) || pt.Implements(textType)) {
		return nil // its own method decides; encoding/json calls it
	}
	c := &codec{}
	memo[t] = c
	switch t.Kind() {
	case reflect.String:
		c.decode = decodeString
	case reflect.Bool:
		c.decode = decodeBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c.decode = intCodec(t.Kind(), t.Bits())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		c.decode = uintCodec(t.Kind(), t.Bits())
	case reflect.Float32, reflect.Float64:
		c.decode = floatCodec(t.Bits())
	case reflect.Pointer:
		c.decode = pointerCodec(t, memo)
	case reflect.Slice:
		if t.Elem().Kind() != reflect.Uint8 { // []byte is base64 in encoding/json
			c.decode = sliceCodec(t, memo)
		}
	case reflect.Array:
		c.decode = arrayCodec(t, memo)
	case reflect.Struct:
		c.decode = structCodec(t, memo)
	}
	if c.decode == nil {
		memo[t] = nil
		return nil
	}
	return c
}

// Every codec reads a null as encoding/json does into a zero value: it
// leaves the value zero (pointers, slices and arrays included).

func decodeString(d *decoder, p unsafe.Pointer) bool {
	if d.peek() == 'n' {
		return d.literal("null")
	}
	s, ok := d.str()
	*(*string)(p) = s
	return ok
}

func decodeBool(d *decoder, p unsafe.Pointer) bool {
	switch d.peek() {
	case 'n':
		return d.literal("null")
	case 't':
		*(*bool)(p) = true
		return d.literal("true")
	}
	return d.literal("false")
}

// decodeRaw keeps the value's bytes, as json.RawMessage's UnmarshalJSON
// does; a null is declined (RawMessage would keep "null").
func decodeRaw(d *decoder, p unsafe.Pointer) bool {
	start := d.i
	if d.peek() == 'n' || !d.skip() {
		return false
	}
	*(*json.RawMessage)(p) = append(json.RawMessage(nil), d.data[start:d.i]...)
	return true
}

func intCodec(k reflect.Kind, bits int) func(*decoder, unsafe.Pointer) bool {
	return func(d *decoder, p unsafe.Pointer) bool {
		if d.peek() == 'n' {
			return d.literal("null")
		}
		lit, integer, ok := d.number()
		if !ok || !integer {
			return false
		}
		n, ok := atoi(lit, bits)
		switch k {
		case reflect.Int:
			*(*int)(p) = int(n)
		case reflect.Int8:
			*(*int8)(p) = int8(n)
		case reflect.Int16:
			*(*int16)(p) = int16(n)
		case reflect.Int32:
			*(*int32)(p) = int32(n)
		default:
			*(*int64)(p) = n
		}
		return ok
	}
}

func uintCodec(k reflect.Kind, bits int) func(*decoder, unsafe.Pointer) bool {
	return func(d *decoder, p unsafe.Pointer) bool {
		if d.peek() == 'n' {
			return d.literal("null")
		}
		lit, integer, ok := d.number()
		if !ok || !integer {
			return false
		}
		n, ok := atou(lit, bits)
		switch k {
		case reflect.Uint:
			*(*uint)(p) = uint(n)
		case reflect.Uint8:
			*(*uint8)(p) = uint8(n)
		case reflect.Uint16:
			*(*uint16)(p) = uint16(n)
		case reflect.Uint32:
			*(*uint32)(p) = uint32(n)
		default:
			*(*uint64)(p) = n
		}
		return ok
	}
}

func floatCodec(bits int) func(*decoder, unsafe.Pointer) bool {
	return func(d *decoder, p unsafe.Pointer) bool {
		if d.peek() == 'n' {
			return d.literal("null")
		}
		lit, _, ok := d.number()
		if !ok {
			return false
		}
		n, ok := atof(lit, bits)
		if bits == 32 {
			*(*float32)(p) = float32(n)
		} else {
			*(*float64)(p) = n
		}
		return ok
	}
}

func pointerCodec(t reflect.Type, memo map[reflect.Type]*codec) func(*decoder, unsafe.Pointer) bool {
	elem := t.Elem()
	ec := compile(elem, memo)
	if ec == nil {
		return nil
	}
	return func(d *decoder, p unsafe.Pointer) bool {
		if d.peek() == 'n' {
			return d.literal("null")
		}
		q := reflect.New(elem).UnsafePointer()
		*(*unsafe.Pointer)(p) = q
		return ec.decode(d, q)
	}
}

func sliceCodec(t reflect.Type, memo map[reflect.Type]*codec) func(*decoder, unsafe.Pointer) bool {
	ec := compile(t.Elem(), memo)
	if ec == nil {
		return nil
	}
	return func(d *decoder, p unsafe.Pointer) bool {
		if d.peek() == 'n' {
			return d.literal("null")
		}
		if d.peek() != '[' || !d.enter() {
			return false
		}
		d.i++
		d.space()
		s := reflect.NewAt(t, p).Elem()
		if d.peek() == ']' {
			d.i++
			d.leave()
			s.Set(reflect.MakeSlice(t, 0, 0)) // [] is an empty slice, not nil
			return true
		}
		for n, more := 0, true; more; n++ {
			if n == s.Cap() {
				s.Grow(1)
			}
			s.SetLen(n + 1)
			if !ec.decode(d, s.Index(n).Addr().UnsafePointer()) {
				return false
			}
			var ok bool
			if more, ok = d.next(']'); !ok {
				return false
			}
		}
		d.leave()
		return true
	}
}

// arrayCodec fills a fixed array; more elements than it holds are declined
// (encoding/json drops them).
func arrayCodec(t reflect.Type, memo map[reflect.Type]*codec) func(*decoder, unsafe.Pointer) bool {
	ec := compile(t.Elem(), memo)
	if ec == nil {
		return nil
	}
	size, n := t.Elem().Size(), t.Len()
	return func(d *decoder, p unsafe.Pointer) bool {
		if d.peek() == 'n' {
			return d.literal("null")
		}
		if d.peek() != '[' || !d.enter() {
			return false
		}
		d.i++
		d.space()
		if d.peek() == ']' {
			d.i++
			d.leave()
			return true
		}
		for i, more := 0, true; more; i++ {
			if i == n || !ec.decode(d, unsafe.Add(p, uintptr(i)*size)) {
				return false
			}
			var ok bool
			if more, ok = d.next(']'); !ok {
				return false
			}
		}
		d.leave()
		return true
	}
}

// field is a struct field as encoding/json names it, with its offset from
// the start of the outermost struct (embedded structs flattened).
type field struct {
	name string
	off  uintptr
	c    *codec
}

// structCodec decodes an object into a struct whose keys are exactly its
// fields' names, each at most once. Fields are looked for first where the
// last one ended, as encoding/json writes them in that order.
func structCodec(t reflect.Type, memo map[reflect.Type]*codec) func(*decoder, unsafe.Pointer) bool {
	var fields []field
	if !structFields(t, 0, memo, &fields) || len(fields) > 64 || duplicateName(fields) {
		return nil
	}
	return func(d *decoder, p unsafe.Pointer) bool {
		if d.peek() == 'n' {
			return d.literal("null")
		}
		if d.peek() != '{' || !d.enter() {
			return false
		}
		d.i++
		d.space()
		if d.peek() == '}' {
			d.i++
			d.leave()
			return true
		}
		var seen uint64
		at := 0
		for more := true; more; {
			k, ok := d.key()
			if !ok {
				return false
			}
			if at >= len(fields) || fields[at].name != string(k) {
				if at = lookup(fields, k); at < 0 {
					return false // unknown, or a case-insensitive match: encoding/json decides
				}
			}
			if seen&(1<<at) != 0 {
				return false // a key twice
			}
			seen |= 1 << at
			f := &fields[at]
			if !f.c.decode(d, unsafe.Add(p, f.off)) {
				return false
			}
			at++
			if more, ok = d.next('}'); !ok {
				return false
			}
		}
		d.leave()
		return true
	}
}

func lookup(fields []field, k []byte) int {
	for i := range fields {
		if fields[i].name == string(k) {
			return i
		}
	}
	return -1
}

// structFields appends t's fields as encoding/json sees them, declining
// (false) what it would treat in ways we do not copy: embedded pointers,
// unusual tag names, the ",string" option.
func structFields(t reflect.Type, base uintptr, memo map[reflect.Type]*codec, out *[]field) bool {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous {
			switch {
			case sf.Type.Kind() == reflect.Pointer:
				return false
			case sf.Type.Kind() != reflect.Struct && !sf.IsExported():
				continue // encoding/json ignores it
			case sf.Type.Kind() == reflect.Struct && name == "":
				if !structFields(sf.Type, base+sf.Offset, memo, out) {
					return false
				}
				continue
			case !sf.IsExported():
				return false
			}
		} else if !sf.IsExported() {
			continue
		}
		if !plainName(name) || strings.Contains(","+opts+",", ",string,") {
			return false
		}
		if name == "" {
			name = sf.Name
		}
		c := compile(sf.Type, memo)
		if c == nil {
			return false
		}
		*out = append(*out, field{name: name, off: base + sf.Offset, c: c})
	}
	return true
}

// plainName reports whether a tag's name is one encoding/json takes as it
// is and we match byte for byte: letters, digits, '_', '-', '.'.
func plainName(s string) bool {
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// duplicateName reports two fields of one name (at any depth): encoding/json
// would pick one by its dominance rules, which we do not copy.
func duplicateName(fields []field) bool {
	seen := make(map[string]bool, len(fields))
	for _, f := range fields {
		if seen[f.name] {
			return true
		}
		seen[f.name] = true
	}
	return false
}

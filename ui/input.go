package ui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"baoxue/store"
	"baoxue/store/jsonfast"
)

// decodeJSON reads a request body into v strictly: a body that is not sent
// as application/json, is not valid UTF-8 (encoding/json would quietly put
// U+FFFD in its place) or is not a JSON object (null, a list), unknown
// fields, trailing data and wrong types are a *store.FieldError (400)
// naming the field where one can be named; a body over the limit stays
// echo's 413.
func decodeJSON(c echo.Context, v any) error {
	// The usual header is taken as it is: parsing it was ~5% of a write's handler.
	if ct := c.Request().Header.Get(echo.HeaderContentType); ct != echo.MIMEApplicationJSON && !isJSONType(ct) {
		return &store.FieldError{Code: "content_type", Message: "the body must be JSON, sent with Content-Type: application/json"}
	}
	raw, err := io.ReadAll(c.Request().Body)
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he
	}
	if err != nil {
		return &store.FieldError{Code: "json", Message: "invalid JSON"}
	}
	if !utf8.Valid(raw) {
		return &store.FieldError{Code: "utf8", Message: "the body is not valid UTF-8"}
	}
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return &store.FieldError{Code: "json", Message: "the body must be a JSON object"}
	}
	sum := sha256.Sum256(raw)
	c.Set(ctxBodyDigest, hex.EncodeToString(sum[:]))
	// jsonfast declines unknown keys and trailing data, so what it decodes
	// the decoder below would have decoded alike and without an error;
	// every error still comes from the decoder.
	if jsonfast.Unmarshal(raw, v) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("trailing data")
		}
	}
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &te) && te.Field != "":
		f := jsonPath(te.Field)
		return &store.FieldError{Field: f, Code: "type", Message: f + " must be a JSON " + te.Type.String()}
	}
	// encoding/json has no typed error for an unknown field; its message is
	// `json: unknown field "name"`.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if f, uerr := strconv.Unquote(name); uerr == nil {
			return &store.FieldError{Field: f, Code: "unknown_field", Message: "unknown field " + strconv.Quote(f)}
		}
	}
	return &store.FieldError{Code: "json", Message: "invalid JSON"}
}

// jsonPath drops the Go names of embedded structs that encoding/json puts
// in front of a field's path ("StudentFields.grade" → "grade"); our JSON
// names are all lower case.
func jsonPath(p string) string {
	parts := strings.Split(p, ".")
	for len(parts) > 1 && parts[0] != "" && unicode.IsUpper(rune(parts[0][0])) {
		parts = parts[1:]
	}
	return strings.Join(parts, ".")
}

// parseFilter reads a student list's query parameters. Bad values are a
// *store.FieldError naming the parameter.
func parseFilter(q url.Values) (store.Filter, error) {
	f := store.Filter{
		School:   strings.TrimSpace(q.Get("school")),
		Township: strings.TrimSpace(q.Get("township")),
		Village:  strings.TrimSpace(q.Get("village")),
		Status:   strings.TrimSpace(q.Get("status")),
		Flag:     strings.TrimSpace(q.Get("flag")),
		Q:        strings.TrimSpace(q.Get("q")),
		Cursor:   strings.TrimSpace(q.Get("cursor")),
	}
	var err error
	if f.Grade, err = intParam(q, "grade", 1, 9); err != nil {
		return f, err
	}
	if f.Class, err = intParam(q, "class", 1, 99); err != nil {
		return f, err
	}
	if f.Limit, err = intParam(q, "limit", 1, store.MaxLimit); err != nil {
		return f, err
	}
	if f.Status != "" && !slices.Contains(store.Statuses, f.Status) {
		return f, &store.FieldError{Field: "status", Code: "format", Message: "status must be one of " + strings.Join(store.Statuses, ", ")}
	}
	if f.Flag != "" && !slices.Contains(store.Flags, f.Flag) {
		return f, &store.FieldError{Field: "flag", Code: "format", Message: "flag must be one of " + strings.Join(store.Flags, ", ")}
	}
	return f, nil
}

// intParam reads an optional integer in [lo, hi]; empty is 0.
func intParam(q url.Values, name string, lo, hi int) (int, error) {
	return parseIntField(q.Get(name), name, lo, hi)
}

// parseIntField reads an optional integer form or query value in [lo, hi];
// empty is 0.
func parseIntField(v, name string, lo, hi int) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, &store.FieldError{Field: name, Code: "number", Message: name + " must be a whole number"}
	}
	if n < lo || n > hi {
		return 0, &store.FieldError{Field: name, Code: "range", Message: name + " must be " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi)}
	}
	return n, nil
}

func asFieldError(err error) *store.FieldError {
	var fe *store.FieldError
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

func asRejected(err error) *rejectedError {
	var r *rejectedError
	if errors.As(err, &r) {
		return r
	}
	return nil
}

func asPending(err error) *pendingError {
	var p *pendingError
	if errors.As(err, &p) {
		return p
	}
	return nil
}

// isJSONType reports whether a Content-Type names JSON (with parameters,
// in any case).
func isJSONType(ct string) bool {
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == echo.MIMEApplicationJSON
}

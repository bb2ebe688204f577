package ui

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// The form layer: how a handler reads its input (bind), what a form page
// carries about its form (formState), and how a form answers a write
// (answerForm). The API answers a write's outcome in errors.go: applied is
// the handler's 200/201, pending 202, rejected 409 (statusOf, apiErrorBody).

// bind reads a request's input into dst, a pointer to a request struct
// (usually a store payload embedded beside a command id). Under /api/ the
// body is JSON, read strictly (decodeJSON); otherwise it is a form, read by
// the fields' JSON names (bindForm). Names in fromURL are the URL's to set:
// a JSON body that has one is refused as an unknown field, a form's is
// ignored. Errors are a *store.FieldError naming the field (400), or echo's
// 413 for a body over the limit.
func bind(c echo.Context, dst any, fromURL ...string) error {
	if !isAPI(c) {
		form, err := c.FormParams()
		if err != nil {
			return err
		}
		return bindForm(form, dst, fromURL)
	}
	if len(fromURL) == 0 {
		return decodeJSON(c, dst)
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	c.Request().Body = io.NopCloser(bytes.NewReader(body))
	if err := decodeJSON(c, dst); err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(body, &keys) // decodeJSON accepted it: an object
	for k := range keys {
		// encoding/json matches names case-insensitively.
		if i := slices.IndexFunc(fromURL, func(n string) bool { return strings.EqualFold(n, k) }); i >= 0 {
			return &store.FieldError{Field: k, Code: "unknown_field", Message: "unknown field " + strconv.Quote(k)}
		}
	}
	return nil
}

// formBinder is a request with fields a form writes its own way (several
// inputs for one field, ranges); bindForm calls it after the plain fields.
type formBinder interface {
	bindForm(form url.Values) error
}

// bindForm fills dst's fields from form, each by its JSON name, descending
// into embedded structs: strings as given, []string from a repeated input,
// ints as whole numbers (*store.FieldError otherwise), uint64 (versions)
// as 0 when not a number. Other fields are left to dst's formBinder. Every
// field is filled even after an error, so that the form shows what was
// typed; the first error is returned.
func bindForm(form url.Values, dst any, skip []string) error {
	err := bindFields(form, reflect.ValueOf(dst).Elem(), skip)
	if b, ok := dst.(formBinder); ok {
		err = cmp.Or(err, b.bindForm(form))
	}
	return err
}

func bindFields(form url.Values, v reflect.Value, skip []string) error {
	var first error
	for i := range v.NumField() {
		f, fv := v.Type().Field(i), v.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && f.Type.Kind() == reflect.Struct && name == "":
			first = cmp.Or(first, bindFields(form, fv, skip))
			continue
		case !f.IsExported() || name == "" || name == "-" || slices.Contains(skip, name):
			continue
		}
		switch {
		case f.Type.Kind() == reflect.String:
			fv.SetString(form.Get(name))
		case f.Type == reflect.TypeFor[[]string]():
			fv.Set(reflect.ValueOf(form[name]))
		case f.Type.Kind() == reflect.Int:
			n, err := parseIntField(form.Get(name), name, math.MinInt, math.MaxInt)
			fv.SetInt(int64(n))
			first = cmp.Or(first, err)
		case f.Type.Kind() == reflect.Uint64:
			n, _ := strconv.ParseUint(form.Get(name), 10, 64)
			fv.SetUint(n)
		}
	}
	return first
}

// formState is what a form page carries about its form: the command id the
// next submission uses, and messages beside fields or above the form (with
// an optional link: to the existing record, or to reload).
type formState struct {
	CommandID string
	Errors    map[string]string
	Error     string
	ErrorLink string
	LinkText  string
}

// newFormState is a fresh form: a new command id, no messages.
func newFormState() formState {
	return formState{CommandID: newCommandID(), Errors: map[string]string{}}
}

// failed shows a write's error on the form again: the message beside its
// field (one of fields) or above the form, and the command id sent again
// when the register has not judged it (resending it is safe). It reports
// false for errors that are not the user's to fix.
func (fs *formState) failed(lang string, fields []string, cmdID string, err error) bool {
	if asRejected(err) == nil && cmdID != "" {
		fs.CommandID = cmdID
	}
	return fs.setError(lang, fields, err)
}

// setError puts err's message beside its field (or above the form). It
// reports false for errors that are not the user's to fix.
func (fs *formState) setError(lang string, fields []string, err error) bool {
	if fs.Errors == nil {
		fs.Errors = map[string]string{}
	}
	place := func(field, msg string) {
		key := field
		if k, ok := strings.CutPrefix(field, "details."); ok {
			key = k
		}
		if strings.HasPrefix(field, "guardians") {
			key = "guardians"
		}
		if slices.Contains(fields, key) {
			fs.Errors[key] = msg
			return
		}
		if field != "" {
			msg = translateCode(lang, "field", field) + "：" + msg
		}
		fs.Error = msg
	}
	if f := asFieldError(err); f != nil {
		place(f.Field, fieldMessage(lang, f))
		return true
	}
	if r := asRejected(err); r != nil {
		place(r.res.Field, rejectionMessage(lang, r.res))
		if r.res.Field != "" && fs.Error == "" {
			fs.Error = translate(lang, "error.409")
		}
		return true
	}
	return false
}

// formNext says where a form goes after its write.
type formNext struct {
	Flash   string // the flash shown when applied: catalogue key "flash.<Flash>"
	To      string // where the browser goes when applied
	Pending string // where it goes when the write is queued ("": To)
}

// answerForm answers a form whose write ended with err (nil: applied). An
// applied or pending write sends the browser on (303) with a flash; a field
// error or a rejection shows the form again through redisplay, with the
// status to answer; any other error goes to the error handler.
func (s *Server) answerForm(c echo.Context, err error, next formNext, redisplay func(status int) error) error {
	switch {
	case err == nil:
		s.setFlash(c, next.Flash)
		return c.Redirect(http.StatusSeeOther, next.To)
	case asPending(err) != nil:
		s.setFlash(c, "pending")
		return c.Redirect(http.StatusSeeOther, cmp.Or(next.Pending, next.To))
	case asFieldError(err) == nil && asRejected(err) == nil:
		return err
	}
	return redisplay(statusOf(err))
}

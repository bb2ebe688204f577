package store

import "errors"

// Errors returned by the store. Callers match them with errors.Is.
var (
	// ErrNotFound: no such record, or the record is outside the caller's scope
	// (the two are deliberately indistinguishable to the caller).
	ErrNotFound = errors.New("not found")
	// ErrInvalid: input that fails validation; see *FieldError for the field.
	ErrInvalid = errors.New("invalid input")
	// ErrClosed: the register file is closed.
	ErrClosed = errors.New("register closed")
	// ErrNotUnderstood: a command of a kind or payload version this
	// program does not know (written by a newer release). ApplyBatch
	// applies none of its batch: applying it some other way, or skipping
	// it, would make this register differ from the others.
	ErrNotUnderstood = errors.New("command not understood by this version")
	// ErrNewerSchema: the register file was written by a newer release
	// (its schema_version is beyond this program's migrations). Open and
	// Restore refuse it rather than misread it.
	ErrNewerSchema = errors.New("register written by a newer version")
)

// FieldError names the field that failed validation. It wraps ErrInvalid.
type FieldError struct {
	Field   string // JSON field name, e.g. "id_number"
	Code    string // machine-readable reason, e.g. "check_digit"
	Message string // English sentence for logs and API clients
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }
func (e *FieldError) Unwrap() error { return ErrInvalid }

func fieldErr(field, code, msg string) *FieldError {
	return &FieldError{Field: field, Code: code, Message: msg}
}

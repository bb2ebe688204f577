package ui

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// writeStudentAnswer answers a write on a child with exactly the bytes
// c.JSON writes (encoding/json: HTML-escaped strings, a newline after),
// built without reflection (store.Student.AppendJSON) and sent with its
// Content-Length: the answer is on every write's path (sync/DESIGN.md,
// "Where the time goes"). ?pretty, and a time encoding/json refuses (a
// year outside 0–9999), go through c.JSON as before.
func writeStudentAnswer(c echo.Context, status int, v studentWriteJSON) error {
	if _, pretty := c.QueryParams()["pretty"]; pretty || c.Echo().Debug {
		return c.JSON(status, v)
	}
	b, ok := appendStudentWrite(make([]byte, 0, 1024), &v)
	if !ok {
		return c.JSON(status, v)
	}
	b = append(b, '\n')
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(b)))
	return c.Blob(status, echo.MIMEApplicationJSON, b)
}

// appendStudentWrite appends v as encoding/json encodes it (the fields of
// studentWriteJSON and commandJSON in their order, with their omitempty
// options). TestStudentAnswerBytes holds it to encoding/json.
func appendStudentWrite(b []byte, v *studentWriteJSON) ([]byte, bool) {
	b, err := v.Student.AppendJSON(append(b, `{"student":`...))
	if err != nil {
		return nil, false
	}
	cmd := &v.Command
	b = store.AppendJSONString(append(b, `,"command":{"id":`...), cmd.ID)
	b = store.AppendJSONString(append(b, `,"state":`...), cmd.State)
	if cmd.Reason != "" {
		b = store.AppendJSONString(append(b, `,"reason":`...), cmd.Reason)
	}
	if cmd.Index != 0 {
		b = strconv.AppendUint(append(b, `,"index":`...), cmd.Index, 10)
	}
	return append(b, `}}`...), true
}

package ui

import (
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// writeStudentAnswer answers a write on a child with exactly the bytes
// c.JSON writes (encoding/json: HTML-escaped strings, a newline after),
// built without reflection (store.Student.AppendJSON): the answer is on
// every write's path (sync/DESIGN.md, "Where the time goes"). ?pretty,
// and a time encoding/json refuses (a year outside 0–9999), go through
// c.JSON as before. The answer always has a Content-Length: net/http adds
// it to one that fits its 2 KB buffer, this to a longer one (which would
// otherwise be chunked).
func writeStudentAnswer(c echo.Context, status int, v studentWriteJSON) error {
	if c.Request().URL.RawQuery != "" || c.Echo().Debug { // parse the query only when there is one
		if _, pretty := c.QueryParams()["pretty"]; pretty || c.Echo().Debug {
			return c.JSON(status, v)
		}
	}
	buf := answerBufs.Get().(*[]byte)
	defer answerBufs.Put(buf)
	b, ok := appendStudentWrite((*buf)[:0], &v)
	if !ok {
		return c.JSON(status, v)
	}
	b = append(b, '\n')
	*buf = b[:0] // keep what it grew to
	if len(b) >= netHTTPBuffer {
		c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(b)))
	}
	return c.Blob(status, echo.MIMEApplicationJSON, b) // copied into the connection's buffer
}

// netHTTPBuffer is how much net/http holds before it must send the headers
// (bufferBeforeChunkingSize): an answer shorter than that and complete when
// the handler returns gets its Content-Length from net/http.
const netHTTPBuffer = 2048

// answerBufs are the buffers answers are built in (1 KB holds a child's).
var answerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

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

package ui

import (
	"strconv"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// writeStudentAnswer answers a write on a child with exactly the bytes
// c.JSON writes (encoding/json: HTML-escaped strings, a newline after),
// built without reflection and sent with its Content-Length: the answer
// is on every write's path (sync/DESIGN.md, "Where the time goes").
// ?pretty and anything the encoder below does not cover (a time outside
// years 0–9999, which encoding/json refuses) go through c.JSON.
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

// appendStudentWrite appends v as encoding/json encodes it: the fields of
// studentWriteJSON, store.Student, store.StudentFields, store.FlagDetails,
// store.Guardian and commandJSON in their declared order, with their
// omitempty options. TestStudentAnswerBytes holds it to encoding/json.
func appendStudentWrite(b []byte, v *studentWriteJSON) ([]byte, bool) {
	st := &v.Student
	b = append(b, `{"student":{"id":`...)
	b = appendJSONString(b, st.ID)
	b = append(b, `,"version":`...)
	b = strconv.AppendUint(b, st.Version, 10)
	b = appendStudentFields(b, &st.StudentFields)
	b = append(b, `,"birth_date":`...)
	b = appendJSONString(b, st.BirthDate)
	if st.Age != 0 {
		b = append(b, `,"age":`...)
		b = strconv.AppendInt(b, int64(st.Age), 10)
	}
	b = append(b, `,"township_code":`...)
	b = appendJSONString(b, st.TownshipCode)
	// time.Time's MarshalJSON is its AppendText quoted; both refuse
	// years outside 0–9999.
	var err error
	b = append(b, `,"created_at":"`...)
	if b, err = st.CreatedAt.AppendText(b); err != nil {
		return nil, false
	}
	b = append(b, `","created_by":`...)
	b = appendJSONString(b, st.CreatedBy)
	b = append(b, `,"updated_at":"`...)
	if b, err = st.UpdatedAt.AppendText(b); err != nil {
		return nil, false
	}
	b = append(b, `","updated_by":`...)
	b = appendJSONString(b, st.UpdatedBy)
	cmd := &v.Command
	b = append(b, `},"command":{"id":`...)
	b = appendJSONString(b, cmd.ID)
	b = append(b, `,"state":`...)
	b = appendJSONString(b, cmd.State)
	if cmd.Reason != "" {
		b = append(b, `,"reason":`...)
		b = appendJSONString(b, cmd.Reason)
	}
	if cmd.Index != 0 {
		b = append(b, `,"index":`...)
		b = strconv.AppendUint(b, cmd.Index, 10)
	}
	return append(b, `}}`...), true
}

func appendStudentFields(b []byte, f *store.StudentFields) []byte {
	for _, kv := range [...]struct {
		key string
		v   string
	}{{`,"name":`, f.Name}, {`,"gender":`, f.Gender}, {`,"id_number":`, f.IDNumber}, {`,"ethnicity":`, f.Ethnicity},
		{`,"student_no":`, f.StudentNo}, {`,"village_code":`, f.VillageCode}, {`,"group_code":`, f.GroupCode},
		{`,"household":`, f.Household}, {`,"school_code":`, f.SchoolCode}} {
		b = append(b, kv.key...)
		b = appendJSONString(b, kv.v)
	}
	b = append(b, `,"grade":`...)
	b = strconv.AppendInt(b, int64(f.Grade), 10)
	b = append(b, `,"class":`...)
	b = strconv.AppendInt(b, int64(f.Class), 10)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, f.Status)
	b = append(b, `,"flags":`...)
	if f.Flags == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, x := range f.Flags {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, x)
		}
		b = append(b, ']')
	}
	b = append(b, `,"details":{`...)
	first := true
	for _, kv := range [...]struct {
		key string
		v   string
	}{{`"poverty_household_id":`, f.Details.PovertyHouseholdID}, {`"parents_workplace":`, f.Details.ParentsWorkplace},
		{`"parents_phone":`, f.Details.ParentsPhone}, {`"disability_category":`, f.Details.DisabilityCategory},
		{`"placement":`, f.Details.Placement}} {
		if kv.v == "" {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, kv.key...)
		b = appendJSONString(b, kv.v)
	}
	b = append(b, `},"guardians":`...)
	if f.Guardians == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, g := range f.Guardians {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendJSONString(b, g.Name)
		b = append(b, `,"relation":`...)
		b = appendJSONString(b, g.Relation)
		b = append(b, `,"phone":`...)
		b = appendJSONString(b, g.Phone)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendJSONString appends s quoted as encoding/json does with HTML
// escaping on (its default, and c.JSON's): <, > and & as \u003c …, the
// control characters, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

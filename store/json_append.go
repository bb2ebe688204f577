package store

import (
	"strconv"
	"unicode/utf8"
)

// Hand-written JSON for the child's types on every write's path (the
// student.create payload, the API's answer): the bytes encoding/json makes
// (json.Marshal, HTML escaping on), without its reflection. Fields follow
// the declared order with their omitempty options; TestAppendJSON holds
// them to encoding/json, so a field added to these types fails it until it
// is added here.

// AppendJSON appends s as json.Marshal encodes it. Its error is
// encoding/json's for a time outside years 0–9999.
func (s *Student) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = AppendJSONString(b, s.ID)
	b = append(b, `,"version":`...)
	b = strconv.AppendUint(b, s.Version, 10)
	b = s.StudentFields.appendJSONFields(append(b, ','))
	b = append(b, `,"birth_date":`...)
	b = AppendJSONString(b, s.BirthDate)
	if s.Age != 0 {
		b = strconv.AppendInt(append(b, `,"age":`...), int64(s.Age), 10)
	}
	b = append(b, `,"township_code":`...)
	b = AppendJSONString(b, s.TownshipCode)
	// time.Time's MarshalJSON is its AppendText quoted; both refuse years
	// outside 0–9999.
	var err error
	if b, err = s.CreatedAt.AppendText(append(b, `,"created_at":"`...)); err != nil {
		return nil, err
	}
	b = AppendJSONString(append(b, `","created_by":`...), s.CreatedBy)
	if b, err = s.UpdatedAt.AppendText(append(b, `,"updated_at":"`...)); err != nil {
		return nil, err
	}
	b = AppendJSONString(append(b, `","updated_by":`...), s.UpdatedBy)
	return append(b, '}'), nil
}

// appendJSON is student.create's payload as json.Marshal encodes it
// (NewCommand).
func (p *StudentCreate) appendJSON(b []byte) []byte {
	return append(p.StudentFields.appendJSONFields(append(b, '{')), '}')
}

// appendJSON is student.update's payload as json.Marshal encodes it.
func (p *StudentUpdate) appendJSON(b []byte) []byte {
	b = AppendJSONString(append(b, `{"id":`...), p.ID)
	b = p.Fields.appendJSONFields(append(b, `,"fields":{`...))
	return append(b, "}}"...)
}

// appendJSONFields appends f's fields, without the braces around them.
func (f *StudentFields) appendJSONFields(b []byte) []byte {
	for i, kv := range [...]struct{ key, v string }{{`"name":`, f.Name}, {`"gender":`, f.Gender},
		{`"id_number":`, f.IDNumber}, {`"ethnicity":`, f.Ethnicity}, {`"student_no":`, f.StudentNo},
		{`"village_code":`, f.VillageCode}, {`"group_code":`, f.GroupCode}, {`"household":`, f.Household},
		{`"school_code":`, f.SchoolCode}} {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(append(b, kv.key...), kv.v)
	}
	b = strconv.AppendInt(append(b, `,"grade":`...), int64(f.Grade), 10)
	b = strconv.AppendInt(append(b, `,"class":`...), int64(f.Class), 10)
	b = AppendJSONString(append(b, `,"status":`...), f.Status)
	b = appendJSONStrings(append(b, `,"flags":`...), f.Flags)
	b = append(b, `,"details":{`...)
	first := true
	d := &f.Details
	for _, kv := range [...]struct{ key, v string }{{`"poverty_household_id":`, d.PovertyHouseholdID},
		{`"parents_workplace":`, d.ParentsWorkplace}, {`"parents_phone":`, d.ParentsPhone},
		{`"disability_category":`, d.DisabilityCategory}, {`"placement":`, d.Placement},
		{`"caregiver":`, d.Caregiver}, {`"caregiver_phone":`, d.CaregiverPhone}, {`"disability_grade":`, d.DisabilityGrade},
		{`"origin_place":`, d.OriginPlace}, {`"hukou_place":`, d.HukouPlace}} {
		if kv.v == "" { // omitempty
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = AppendJSONString(append(b, kv.key...), kv.v)
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
		b = AppendJSONString(append(b, `{"name":`...), g.Name)
		b = AppendJSONString(append(b, `,"relation":`...), g.Relation)
		b = AppendJSONString(append(b, `,"phone":`...), g.Phone)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendJSONStrings appends ss as json.Marshal writes a []string: null
// when nil.
func appendJSONStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, s)
	}
	return append(b, ']')
}

// AppendJSONString appends s quoted as encoding/json does with HTML
// escaping on (its default): <, > and & as \u003c …, control characters
// (\b \f \n \r \t by name), invalid UTF-8 as \ufffd, U+2028 and U+2029
// escaped.
func AppendJSONString(b []byte, s string) []byte {
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
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

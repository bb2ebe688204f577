package store

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Children are most of the register, so a child's record is stored in a
// compact form of its own (schema 3), not as the Student JSON the API
// answers with: short keys, empty fields left out, and what the register can
// derive left out when it is what would be derived — the id (the key), the
// birth date (from the ID number), the student number when it is "G" and
// the ID number, and the update stamp while it is the creation's. Half the
// bytes of the Student JSON. Records written before (`{"id":…`, the Student
// JSON) are still read; a child written again is written compact.
//
// A field added to Student, StudentFields, Guardian or FlagDetails must be
// added here too: TestStudentCodecCoversEveryField fails until it is.
type storedStudent struct {
	Version   uint64       `json:"v"`
	Name      string       `json:"n"`
	Gender    string       `json:"g,omitempty"`
	IDNumber  string       `json:"i"`
	Ethnicity string       `json:"e,omitempty"`
	StudentNo *string      `json:"no,omitempty"` // absent: "G" + IDNumber
	Village   string       `json:"vc,omitempty"`
	Group     string       `json:"gc,omitempty"`
	Household string       `json:"h,omitempty"`
	School    string       `json:"sc,omitempty"`
	Grade     int          `json:"gr,omitempty"`
	Class     int          `json:"cl,omitempty"`
	Status    string       `json:"st"`
	Flags     *[]string    `json:"f,omitempty"`  // absent: nil
	Details   *FlagDetails `json:"d,omitempty"`  // absent: none
	Guardians *[][3]string `json:"gu,omitempty"` // name, relation, phone; absent: nil
	BirthDate *string      `json:"b,omitempty"`  // absent: the ID number's
	Township  string       `json:"t,omitempty"`
	Created   int64        `json:"ca,omitempty"` // Unix ns; absent: the zero time
	CreatedBy string       `json:"cb,omitempty"`
	Updated   *int64       `json:"ua,omitempty"` // absent: Created
	UpdatedBy *string      `json:"ub,omitempty"` // absent: CreatedBy
}

// encodeStudent gives the stored bytes of s. Deterministic: the same record
// gives the same bytes on every node.
func encodeStudent(s *Student) ([]byte, error) {
	f := &s.StudentFields
	r := storedStudent{Version: s.Version, Name: f.Name, Gender: f.Gender, IDNumber: f.IDNumber, Ethnicity: f.Ethnicity,
		Village: f.VillageCode, Group: f.GroupCode, Household: f.Household, School: f.SchoolCode, Grade: f.Grade,
		Class: f.Class, Status: f.Status, Township: s.TownshipCode, Created: unixNano(s.CreatedAt), CreatedBy: s.CreatedBy}
	if f.StudentNo != "G"+f.IDNumber {
		r.StudentNo = &f.StudentNo
	}
	if f.Flags != nil {
		r.Flags = &f.Flags
	}
	if f.Details != (FlagDetails{}) {
		r.Details = &f.Details
	}
	if f.Guardians != nil {
		gs := make([][3]string, len(f.Guardians))
		for i, g := range f.Guardians {
			gs[i] = [3]string{g.Name, g.Relation, g.Phone}
		}
		r.Guardians = &gs
	}
	if birth, _, err := ValidateIDNumber(f.IDNumber); err != nil || birth != s.BirthDate {
		r.BirthDate = &s.BirthDate
	}
	if !s.UpdatedAt.Equal(s.CreatedAt) {
		u := unixNano(s.UpdatedAt)
		r.Updated = &u
	}
	if s.UpdatedBy != s.CreatedBy {
		r.UpdatedBy = &s.UpdatedBy
	}
	return r.appendJSON(make([]byte, 0, 512))
}

// appendJSON appends what json.Marshal(r) gives, byte for byte (the
// register's records must not change: TestStoredStudentJSON), without
// reflection: every node encodes every child it registers.
func (r *storedStudent) appendJSON(b []byte) ([]byte, error) {
	b = strconv.AppendUint(append(b, `{"v":`...), r.Version, 10)
	b = AppendJSONString(append(b, `,"n":`...), r.Name)
	b = appendOmitString(b, `,"g":`, r.Gender)
	b = AppendJSONString(append(b, `,"i":`...), r.IDNumber)
	b = appendOmitString(b, `,"e":`, r.Ethnicity)
	if r.StudentNo != nil {
		b = AppendJSONString(append(b, `,"no":`...), *r.StudentNo)
	}
	b = appendOmitString(b, `,"vc":`, r.Village)
	b = appendOmitString(b, `,"gc":`, r.Group)
	b = appendOmitString(b, `,"h":`, r.Household)
	b = appendOmitString(b, `,"sc":`, r.School)
	if r.Grade != 0 {
		b = strconv.AppendInt(append(b, `,"gr":`...), int64(r.Grade), 10)
	}
	if r.Class != 0 {
		b = strconv.AppendInt(append(b, `,"cl":`...), int64(r.Class), 10)
	}
	b = AppendJSONString(append(b, `,"st":`...), r.Status)
	if r.Flags != nil {
		b = appendJSONStrings(append(b, `,"f":`...), *r.Flags)
	}
	if r.Details != nil {
		// rare: the same encoder json.Marshal(r) uses for it; a copy, so that
		// r and the record it points into stay off the heap
		d, err := json.Marshal(*r.Details)
		if err != nil {
			return nil, err
		}
		b = append(append(b, `,"d":`...), d...)
	}
	if r.Guardians != nil {
		b = append(b, `,"gu":`...)
		if *r.Guardians == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, '[')
			for i, g := range *r.Guardians {
				if i > 0 {
					b = append(b, ',')
				}
				b = AppendJSONString(append(b, '['), g[0])
				b = AppendJSONString(append(b, ','), g[1])
				b = append(AppendJSONString(append(b, ','), g[2]), ']')
			}
			b = append(b, ']')
		}
	}
	if r.BirthDate != nil {
		b = AppendJSONString(append(b, `,"b":`...), *r.BirthDate)
	}
	b = appendOmitString(b, `,"t":`, r.Township)
	if r.Created != 0 {
		b = strconv.AppendInt(append(b, `,"ca":`...), r.Created, 10)
	}
	b = appendOmitString(b, `,"cb":`, r.CreatedBy)
	if r.Updated != nil {
		b = strconv.AppendInt(append(b, `,"ua":`...), *r.Updated, 10)
	}
	if r.UpdatedBy != nil {
		b = AppendJSONString(append(b, `,"ub":`...), *r.UpdatedBy)
	}
	return append(b, '}'), nil
}

// appendOmitString appends key and s as json.Marshal does a string field
// tagged omitempty: nothing when s is empty.
func appendOmitString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return AppendJSONString(append(b, key...), s)
}

// legacyStudent marks a record in the Student JSON (and a result in the
// Result JSON) of schema 2 and before.
var legacyStudent = []byte(`{"id":`)

// decodeStudent reads the record stored under key (be64 of the number).
func decodeStudent(key, raw []byte, s *Student) error {
	if bytes.HasPrefix(raw, legacyStudent) {
		*s = Student{}
		return json.Unmarshal(raw, s)
	}
	var r storedStudent
	if err := json.Unmarshal(raw, &r); err != nil {
		return err
	}
	*s = Student{ID: studentID(be64(key)), Version: r.Version, TownshipCode: r.Township,
		CreatedAt: fromUnixNano(r.Created), CreatedBy: r.CreatedBy,
		StudentFields: StudentFields{Name: r.Name, Gender: r.Gender, IDNumber: r.IDNumber, Ethnicity: r.Ethnicity,
			StudentNo: "G" + r.IDNumber, VillageCode: r.Village, GroupCode: r.Group, Household: r.Household,
			SchoolCode: r.School, Grade: r.Grade, Class: r.Class, Status: r.Status}}
	f := &s.StudentFields
	if r.StudentNo != nil {
		f.StudentNo = *r.StudentNo
	}
	if r.Flags != nil {
		f.Flags = *r.Flags
	}
	if r.Details != nil {
		f.Details = *r.Details
	}
	if r.Guardians != nil {
		f.Guardians = make([]Guardian, len(*r.Guardians))
		for i, g := range *r.Guardians {
			f.Guardians[i] = Guardian{Name: g[0], Relation: g[1], Phone: g[2]}
		}
	}
	if r.BirthDate != nil {
		s.BirthDate = *r.BirthDate
	} else {
		s.BirthDate, _, _ = ValidateIDNumber(r.IDNumber)
	}
	s.UpdatedAt, s.UpdatedBy = s.CreatedAt, s.CreatedBy
	if r.Updated != nil {
		s.UpdatedAt = fromUnixNano(*r.Updated)
	}
	if r.UpdatedBy != nil {
		s.UpdatedBy = *r.UpdatedBy
	}
	return nil
}

// getStudentRecord reads the child stored under key in b (the students
// bucket), as getJSON does for other records.
func getStudentRecord(b interface{ Get([]byte) []byte }, key []byte, s *Student) bool {
	raw := b.Get(key)
	if raw == nil {
		return false
	}
	if err := decodeStudent(key, raw, s); err != nil {
		panic("store: corrupt child record " + studentID(be64(key)) + ": " + err.Error())
	}
	return true
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// A command's result is stored under its id without repeating it, with
// short keys (schema 3): a third of the bytes of the Result JSON. Results of
// schema 2 (`{"id":…`) are still read. A field added to Result must be added
// here too (TestResultCodecCoversEveryField).
type storedResult struct {
	State         string      `json:"s,omitempty"` // absent: applied
	Reason        string      `json:"r,omitempty"`
	Code          string      `json:"c,omitempty"`
	Field         string      `json:"f,omitempty"`
	Index         uint64      `json:"i"`
	RecordID      string      `json:"rid,omitempty"`
	Version       uint64      `json:"v,omitempty"`
	ExistingID    string      `json:"x,omitempty"`
	User          string      `json:"u,omitempty"`
	RequestDigest string      `json:"d,omitempty"`
	Rows          []RowResult `json:"rows,omitempty"` // an import batch's refused rows
}

// putResult stores r under its command id.
func putResult(b *bolt.Bucket, r *Result) error {
	state := r.State
	if state == StateApplied {
		state = ""
	}
	sr := storedResult{State: state, Reason: r.Reason, Code: r.Code, Field: r.Field, Index: r.Index,
		RecordID: r.RecordID, Version: r.Version, ExistingID: r.ExistingID, User: r.User, RequestDigest: r.RequestDigest, Rows: r.Rows}
	raw, err := sr.appendJSON(make([]byte, 0, 128))
	if err != nil {
		return err
	}
	return b.Put([]byte(r.CommandID), raw)
}

// appendJSON appends what json.Marshal(r) gives, byte for byte
// (TestStoredResultJSON), without reflection: every command stores one.
func (r *storedResult) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	first := len(b) // every field is written after a comma; the first one's is dropped below
	b = appendOmitString(b, `,"s":`, r.State)
	b = appendOmitString(b, `,"r":`, r.Reason)
	b = appendOmitString(b, `,"c":`, r.Code)
	b = appendOmitString(b, `,"f":`, r.Field)
	b = strconv.AppendUint(append(b, `,"i":`...), r.Index, 10)
	b = appendOmitString(b, `,"rid":`, r.RecordID)
	if r.Version != 0 {
		b = strconv.AppendUint(append(b, `,"v":`...), r.Version, 10)
	}
	b = appendOmitString(b, `,"x":`, r.ExistingID)
	b = appendOmitString(b, `,"u":`, r.User)
	b = appendOmitString(b, `,"d":`, r.RequestDigest)
	if len(r.Rows) > 0 {
		rows, err := json.Marshal(r.Rows) // an import's refusals: rare
		if err != nil {
			return nil, err
		}
		b = append(append(b, `,"rows":`...), rows...)
	}
	b = append(b[:first], b[first+1:]...) // the index is always there: b[first] is a comma
	return append(b, '}'), nil
}

// getResult reads the result of command id from b, in either layout.
func getResult(g *getter, b *bolt.Bucket, id string, r *Result) bool {
	raw := g.get(b, []byte(id))
	if raw == nil {
		return false
	}
	if err := decodeResult(id, raw, r); err != nil {
		panic("store: corrupt result of " + id + ": " + err.Error())
	}
	return true
}

func decodeResult(id string, raw []byte, r *Result) error {
	if bytes.HasPrefix(raw, legacyStudent) { // `{"id":`: the Result JSON of schema 2
		// Into a variable of this branch: json.Unmarshal would put r, and so
		// every caller's Result, on the heap.
		var x Result
		err := json.Unmarshal(raw, &x)
		*r = x
		return err
	}
	var s storedResult
	if err := json.Unmarshal(raw, &s); err != nil {
		return err
	}
	if s.State == "" {
		s.State = StateApplied
	}
	*r = Result{CommandID: id, State: s.State, Reason: s.Reason, Code: s.Code, Field: s.Field, Index: s.Index,
		RecordID: s.RecordID, Version: s.Version, ExistingID: s.ExistingID, User: s.User, RequestDigest: s.RequestDigest, Rows: s.Rows}
	return nil
}

package store

import (
	"strconv"
	"strings"
	"time"
)

// The poverty department's list (会同扶贫部门核查, R4): the list of
// registered-poor school-age children, imported in batches as a replicated
// list named by its label (a month: 2026-11). A list is complete when its
// last batch is in; the newest complete list is reconciled with the
// register (poverty_read.go) and compared with the one before it. Each
// mismatch is a work item until a clearance (poverty.clear) with a note.

// Command kinds of the poverty cross-check.
const (
	KindPovertyBatch = "poverty.batch"
	KindPovertyClear = "poverty.clear"
)

// MaxPovertyBatch is the most rows one poverty.batch carries.
const MaxPovertyBatch = 500

// Keys in bucketMeta: the newest complete list and the one before it.
var (
	keyPovertyCurrent  = []byte("poverty_current")
	keyPovertyPrevious = []byte("poverty_previous")
)

// PovertyRow is one child on the poverty department's list.
type PovertyRow struct {
	Row         int    `json:"row,omitempty"` // the row of the file it came from
	N           int    `json:"n,omitempty"`   // its number on the list, 1, 2, … (set when applied)
	IDNumber    string `json:"id_number"`
	Name        string `json:"name"`
	HouseholdID string `json:"household_id,omitempty"` // the department's household id
	Township    string `json:"township,omitempty"`     // a township's name or code, as the list gives it
	School      string `json:"school,omitempty"`       // a school's name or code, as the list gives it
}

// PovertyBatch is rows of a list: payload of poverty.batch. The first
// batch of a new list makes it the current list (the one before it becomes
// the previous); later batches of the list add to it. An import names the
// list by its id.
type PovertyBatch struct {
	List string       `json:"list"`
	Rows []PovertyRow `json:"rows"`
}

// PovertyList is a list's record.
type PovertyList struct {
	Label    string    `json:"label"`
	Batches  int       `json:"batches"`
	Rows     int       `json:"rows"`
	Complete bool      `json:"complete"`
	Date     string    `json:"date,omitempty"` // the day it was completed, YYYY-MM-DD
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Previous string    `json:"previous,omitempty"` // the list that was current before it
}

// PovertyClear clears a mismatch with a note: payload of poverty.clear.
type PovertyClear struct {
	Mismatch string `json:"mismatch"` // PovertyTheirsOnly, PovertyOursOnly, PovertyDiffers
	Ref      string `json:"ref"`      // PovertyItem.Ref: the child's id or #N, the row on the list
	Note     string `json:"note"`
}

// PovertyClearance is a clearance: it holds while the mismatch is the same
// (Sig: its kind and differing values); a mismatch that changes is a new
// work item.
type PovertyClearance struct {
	Mismatch string    `json:"mismatch"`
	Sig      string    `json:"sig"`
	List     string    `json:"list"`
	Note     string    `json:"note"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Date     string    `json:"date"`
}

// Kind names each payload's command kind (Payload).
func (PovertyBatch) Kind() string { return KindPovertyBatch }
func (PovertyClear) Kind() string { return KindPovertyClear }

var (
	_ = register(kindSpec[PovertyBatch]{Who: Writer, Nodes: TownshipNode, Check: CheckPovertyBatch, Target: noTarget[PovertyBatch], Apply: applyPovertyBatch})
	_ = register(kindSpec[PovertyClear]{Who: Writer, Nodes: TownshipNode, Check: CheckPovertyClear, Target: noTarget[PovertyClear], Apply: applyPovertyClear})
)

// CheckPovertyBatch trims and checks a batch on its own: a label, 1 to
// MaxPovertyBatch rows, each with a valid ID number, once, and a name.
// Errors are *FieldError naming the row (rows[i].field).
func CheckPovertyBatch(p *PovertyBatch) error {
	if p.List = strings.TrimSpace(p.List); !isCode(p.List) {
		return fieldErr("list", "format", "list must be a label of letters, digits, - or _ (a month: 2026-11)")
	}
	if len(p.Rows) == 0 || len(p.Rows) > MaxPovertyBatch {
		return fieldErr("rows", "length", "a batch has 1 to "+strconv.Itoa(MaxPovertyBatch)+" rows")
	}
	seen := map[string]int{}
	for i := range p.Rows {
		r := &p.Rows[i]
		at := "rows[" + strconv.Itoa(i) + "]."
		r.IDNumber = strings.ToUpper(strings.TrimSpace(r.IDNumber))
		if _, _, err := ValidateIDNumber(r.IDNumber); err != nil {
			fe := err.(*FieldError)
			return fieldErr(at+"id_number", fe.Code, "row "+strconv.Itoa(r.Row)+": "+fe.Message)
		}
		if j, dup := seen[r.IDNumber]; dup {
			return fieldErr(at+"id_number", "duplicate", "row "+strconv.Itoa(r.Row)+": the ID number is also on row "+strconv.Itoa(p.Rows[j].Row))
		}
		seen[r.IDNumber] = i
		for _, x := range []struct {
			v     *string
			field string
			max   int
		}{{&r.Name, "name", 30}, {&r.HouseholdID, "household_id", 40}, {&r.Township, "township", 50}, {&r.School, "school", 60}} {
			if err := cleanText(x.v, at+x.field, x.max, x.field == "name"); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckPovertyClear trims and checks a clearance on its own. Errors are *FieldError.
func CheckPovertyClear(p *PovertyClear) error {
	p.Mismatch = strings.TrimSpace(p.Mismatch)
	if p.Mismatch != PovertyTheirsOnly && p.Mismatch != PovertyOursOnly && p.Mismatch != PovertyDiffers {
		return fieldErr("mismatch", "format", "mismatch must be theirs_only, ours_only or differs")
	}
	p.Ref = strings.TrimSpace(p.Ref)
	if _, isChild := ParseStudentID(p.Ref); !isChild && !isRowRef(p.Ref) {
		return fieldErr("ref", "format", "ref must be a child's id (S…) or a row of the list (#N)")
	}
	return cleanText(&p.Note, "note", 500, true)
}

func isRowRef(ref string) bool {
	n, err := strconv.Atoi(strings.TrimPrefix(ref, "#"))
	return strings.HasPrefix(ref, "#") && err == nil && n > 0
}

func povertyRowKey(list, id string) []byte { return append(append([]byte(list), 0), id...) }

func applyPovertyBatch(a *applyCtx, p *PovertyBatch) error {
	if a.actor.Scope.Kind != ScopeDistrict {
		return reject(CodeForbidden, "the poverty department's list is imported by the bureau, not by user "+a.actor.Username)
	}
	if err := CheckPovertyBatch(p); err != nil {
		return invalid(err)
	}
	meta, lists, rows := a.tx.Bucket(bucketMeta), a.tx.Bucket(bucketPovertyLists), a.tx.Bucket(bucketPovertyRows)
	cur := string(meta.Get(keyPovertyCurrent))
	var l PovertyList
	if getJSON(lists, []byte(p.List), &l) && cur != p.List {
		return reject(CodeState, "list "+p.List+" is no longer the current list: import the whole list again").on("list")
	}
	if l.Label == "" { // a new list becomes the current one
		l = PovertyList{Label: p.List, Date: a.today().String(), Previous: cur}
		if cur != "" {
			if err := meta.Put(keyPovertyPrevious, []byte(cur)); err != nil {
				return err
			}
		}
		if err := meta.Put(keyPovertyCurrent, []byte(p.List)); err != nil {
			return err
		}
	}
	before := l.Rows
	for i, r := range p.Rows {
		key := povertyRowKey(p.List, r.IDNumber)
		if rows.Get(key) != nil {
			// A row of an earlier batch: this row is refused, the others go in.
			a.rows = append(a.rows, RowResult{Row: r.Row, Code: CodeDuplicate, Field: "rows[" + strconv.Itoa(i) + "].id_number",
				Reason: "row " + strconv.Itoa(r.Row) + ": the ID number is already on list " + p.List})
			continue
		}
		l.Rows++
		r.N = l.Rows
		if err := putJSON(rows, key, r); err != nil {
			return err
		}
	}
	l.Batches++
	l.By, l.At = a.actor.Username, a.at
	a.done("poverty:"+p.List, p.List, uint64(l.Batches), []Change{{Field: "rows", From: strconv.Itoa(before), To: strconv.Itoa(l.Rows)}})
	return putJSON(lists, []byte(p.List), l)
}

func povertyClearKey(kind, id string) []byte { return append(append([]byte(kind), 0), id...) }

func applyPovertyClear(a *applyCtx, p *PovertyClear) error {
	if err := CheckPovertyClear(p); err != nil {
		return invalid(err)
	}
	cur := string(a.tx.Bucket(bucketMeta).Get(keyPovertyCurrent))
	if cur == "" {
		return reject(CodeState, "no poverty list has been imported")
	}
	id, ok := povertyRef(a.tx, cur, p.Ref)
	var it PovertyItem
	if ok {
		it, ok = povertyItem(a.tx, cur, id)
	}
	if !ok || it.Kind != p.Mismatch {
		return reject(CodeNotFound, "no such mismatch on list "+cur).on("ref")
	}
	if !it.visibleTo(a.actor.Scope) {
		return reject(CodeForbidden, "the mismatch is outside the scope of user "+a.actor.Username)
	}
	if it.Cleared != nil {
		return reject(CodeState, "the mismatch was cleared by "+it.Cleared.By).on("ref")
	}
	c := PovertyClearance{Mismatch: it.Kind, Sig: it.Sig, List: cur, Note: p.Note, By: a.actor.Username, At: a.at, Date: a.today().String()}
	target := it.StudentID
	if target == "" {
		target = "poverty:" + cur
	}
	a.done(target, cur, 0, []Change{{Field: "poverty." + it.Kind, From: p.Ref, To: "cleared"}})
	return putJSON(a.tx.Bucket(bucketPovertyClears), povertyClearKey(it.Kind, id), c)
}

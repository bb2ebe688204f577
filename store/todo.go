package store

import (
	"cmp"
	"encoding/json"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// To-do kinds (两线互动, R11).
const (
	TodoNewReport  = "new_report"         // a dropout report with no visit yet: both lines
	TodoVisitDue   = "visit_due"          // the last visit is VisitInterval days old or more
	TodoEscalation = "escalation_waiting" // the next legal step may be taken
	TodoReturned   = "returned"           // the last visit found the child back: close the case
	TodoGap        = "missing_assignment" // nobody is responsible at a level for a child with a case
)

// TodoItem is one thing a line owes on a case.
type TodoItem struct {
	Kind        string   `json:"kind"`
	CaseID      string   `json:"case_id"`
	StudentID   string   `json:"student_id"`
	StudentName string   `json:"student_name"`
	SchoolCode  string   `json:"school_code,omitempty"`
	Lines       []string `json:"lines"`          // the lines that owe it
	Since       string   `json:"since"`          // the date it has been owed since
	Step        string   `json:"step,omitempty"` // escalation_waiting: the next step
	Level       string   `json:"level,omitempty"`
	Unit        string   `json:"unit,omitempty"` // missing_assignment: the unit with nobody
	// People are the accounts (Person.Username) of today's responsible
	// people on the lines that owe it: it is on their own list.
	People []string `json:"people,omitempty"`
	// The ladder's and the early warning's items (watch_todo.go).
	Grade   int    `json:"grade,omitempty"` // the child's class: where the roll call is
	Class   int    `json:"class,omitempty"`
	Days    int    `json:"days,omitempty"`     // school days absent in a row
	Score   int    `json:"score,omitempty"`    // risk_tier3: the score
	EntryID string `json:"entry_id,omitempty"` // dropout_report: the suspected-ledger entry ("" while pending)
	// Pending: the item rests on roll calls still waiting in this node's
	// outbox (TodoWith): it may change once the register applies them.
	Pending bool `json:"pending,omitempty"`
	// rectification: the inspection (inspection.go); Level and Unit name the unit inspected.
	InspectionID string `json:"inspection_id,omitempty"`
	Month        string `json:"month,omitempty"` // report_due, report_missing: the report's month (report_todo.go)
	// The poverty cross-check's items (poverty_read.go).
	Township string `json:"township,omitempty"` // the responsible township
	Mismatch string `json:"mismatch,omitempty"` // theirs_only, ours_only, differs
}

// WatchItem is a child back at school after a case, watched until Until (R9).
type WatchItem struct {
	CaseID      string `json:"case_id"`
	StudentID   string `json:"student_id"`
	StudentName string `json:"student_name"`
	SchoolCode  string `json:"school_code,omitempty"`
	Returned    string `json:"returned"`
	Until       string `json:"until"`
}

// Todo is what the cases in a scope ask of the two lines on a day, and the
// watch list.
type Todo struct {
	Date  string      `json:"date"`
	Items []TodoItem  `json:"items"`
	Watch []WatchItem `json:"watch"`
}

var bothLines = []string{LineGovernment, LineEducation}

// Todo derives the to-do list of the cases whose children are in scope sc
// on date today (YYYY-MM-DD): new reports, visits due, escalations waiting,
// returned children whose case is still open, and gaps in the chain of
// responsibility of each open case (as of today) that have a unit to assign
// to; and the watch list.
// Items are ordered by the date they are owed since, oldest first.
// Errors: *FieldError for a bad date, ErrClosed.
func (db *DB) Todo(sc Scope, today string) (Todo, error) { return db.TodoWith(sc, today, nil) }

// TodoWith is Todo with roll calls still waiting in this node's outbox
// (oldest first) laid over the replica's for the ladder's items
// (watch_pending.go): a township cut off from the leader sees them at once.
func (db *DB) TodoWith(sc Scope, today string, pending []RollCall) (Todo, error) {
	if !ValidDate(today) {
		return Todo{}, fieldErr("date", "format", "date must be written YYYY-MM-DD")
	}
	td := Todo{Date: today, Items: []TodoItem{}, Watch: []WatchItem{}}
	err := db.view(func(tx *bolt.Tx) error {
		set := settingsOf(tx)
		latest := map[string]string{} // student → latest case id (membership and lookup only)
		var cases []Case
		if err := tx.Bucket(bucketCases).ForEach(func(_, v []byte) error {
			var c Case
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			cases = append(cases, c)
			latest[c.StudentID] = c.ID // cases are in id order: the last one wins
			return nil
		}); err != nil {
			return err
		}
		for i := range cases {
			c := &cases[i]
			s, err := getStudent(tx, sc, c.StudentID)
			if err != nil {
				continue
			}
			if c.State == CaseClosed {
				if c.Outcome == OutcomeReturned && c.WatchUntil >= today && latest[c.StudentID] == c.ID {
					td.Watch = append(td.Watch, WatchItem{CaseID: c.ID, StudentID: s.ID, StudentName: s.Name, SchoolCode: s.SchoolCode,
						Returned: c.ClosedDate, Until: c.WatchUntil})
				}
				continue
			}
			chain := chainFor(tx, &s, today)
			item := func(kind, since string, lines []string) TodoItem {
				it := TodoItem{Kind: kind, CaseID: c.ID, StudentID: s.ID, StudentName: s.Name, SchoolCode: c.SchoolCode, Lines: lines, Since: since}
				for _, r := range append(slices.Clone(chain.Government), chain.Education...) {
					if r.Username != "" && slices.Contains(lines, r.Line) && !slices.Contains(it.People, r.Username) {
						it.People = append(it.People, r.Username)
					}
				}
				return it
			}
			if len(c.Visits) == 0 {
				td.Items = append(td.Items, item(TodoNewReport, c.Date, bothLines))
			} else {
				last := c.Visits[len(c.Visits)-1]
				if last.Result == ResultReturned {
					td.Items = append(td.Items, item(TodoReturned, last.Date, bothLines))
				} else if due := addDays(last.Date, set.VisitInterval); due <= today {
					td.Items = append(td.Items, item(TodoVisitDue, due, bothLines))
				}
			}
			if step, since := escalationWaiting(c, set, today); step != "" {
				it := item(TodoEscalation, since, bothLines)
				it.Step = step
				td.Items = append(td.Items, it)
			}
			for _, r := range append(slices.Clone(chain.Government), chain.Education...) {
				// Only a gap that can be filled is owed: a child with no
				// villager group or no school has no unit to assign to
				// (the case page still shows those levels as gaps).
				if r.Gap && r.Unit != "" {
					it := item(TodoGap, c.Date, []string{r.Line})
					it.Level, it.Unit = r.Level, r.Unit
					td.Items = append(td.Items, it)
				}
			}
		}
		watch, err := db.watchTodo(tx, sc, today, pending)
		if err != nil {
			return err
		}
		td.Items = append(td.Items, watch...)
		rect, err := inspectionTodo(tx, sc)
		td.Items = append(td.Items, rect...)
		if err != nil {
			return err
		}
		reports, err := reportTodo(tx, sc, today)
		td.Items = append(td.Items, reports...)
		if err != nil {
			return err
		}
		poverty, err := db.povertyTodo(tx, sc, today) // poverty_read.go
		td.Items = append(td.Items, poverty...)
		return err
	})
	slices.SortStableFunc(td.Items, func(a, b TodoItem) int { return cmp.Compare(a.Since, b.Since) })
	slices.SortStableFunc(td.Watch, func(a, b WatchItem) int { return cmp.Compare(a.Until, b.Until) })
	return td, err
}

// escalationWaiting returns the step a case may take next on today, and
// since when, or "": enough failed visits, the last visit failed, the
// order's deadline (if that was the last step) passed.
func escalationWaiting(c *Case, set CaseSettings, today string) (step, since string) {
	step = c.NextStep()
	if step == "" || c.FailedVisits() < set.FailedVisits || len(c.Visits) == 0 || !FailedVisit(c.Visits[len(c.Visits)-1].Result) {
		return "", ""
	}
	since = c.Visits[len(c.Visits)-1].Date
	if last := c.LastStep(); last != nil {
		if last.Date > since {
			since = last.Date
		}
		if last.Step == StepOrder && last.Deadline != "" {
			if today <= last.Deadline {
				return "", ""
			}
			since = addDays(last.Deadline, 1)
		}
	}
	return step, since
}

// CanEscalate reports whether a case may take its next legal step on date
// d, and if not why (an English sentence, as the register would refuse it).
func CanEscalate(c *Case, set CaseSettings, d string) (string, bool) {
	next := c.NextStep()
	switch {
	case c.State == CaseClosed:
		return "the case is closed", false
	case next == "":
		return "every legal step has been taken", false
	case c.FailedVisits() < set.FailedVisits:
		return "needs more failed visits", false
	}
	if last := c.LastStep(); last != nil && last.Step == StepOrder && last.Deadline != "" && d <= last.Deadline {
		return "the order's deadline has not passed", false
	}
	return next, true
}

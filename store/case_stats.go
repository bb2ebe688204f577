package store

import (
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The open cases of a scope by how long they have been open and how far
// they have gone (the dashboard's chart of cases by age and stage).

// Case stages: reported (no visit yet), persuasion (visits, no legal step),
// then the last legal step taken (StepEducation … StepLawsuit).
const (
	StageReported   = "reported"
	StagePersuasion = "persuasion"
)

// CaseStages lists the stages in order; CaseAges the age bands (days open).
var (
	CaseStages = []string{StageReported, StagePersuasion, StepEducation, StepOrder, StepFine, StepLawsuit}
	CaseAges   = []string{"0-30", "31-90", "91-180", "181+"}
)

// CaseStats counts open cases: Counts[stage][age band], by CaseStages and CaseAges.
type CaseStats struct {
	Date   string   `json:"date"`
	Stages []string `json:"stages"`
	Ages   []string `json:"ages"`
	Counts [][]int  `json:"counts"`
	Open   int      `json:"open"`
}

func ageBand(days int) int {
	switch {
	case days <= 30:
		return 0
	case days <= 90:
		return 1
	case days <= 180:
		return 2
	}
	return 3
}

func stageOf(c *Case) int {
	if s := c.LastStep(); s != nil {
		for i, x := range CaseStages {
			if x == s.Step {
				return i
			}
		}
	}
	if len(c.Visits) > 0 {
		return 1
	}
	return 0
}

// OpenCaseStats counts the open cases of the children in scope sc on date
// today by stage and age. Errors: *FieldError for a bad date, ErrClosed.
func (db *DB) OpenCaseStats(sc Scope, today string) (CaseStats, error) {
	st := CaseStats{Date: today, Stages: CaseStages, Ages: CaseAges, Counts: make([][]int, len(CaseStages))}
	for i := range st.Counts {
		st.Counts[i] = make([]int, len(CaseAges))
	}
	t, err := time.Parse("2006-01-02", today)
	if err != nil {
		return st, fieldErr("date", "format", "date must be written YYYY-MM-DD")
	}
	err = db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCases).ForEach(func(_, v []byte) error {
			var c Case
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			if c.State == CaseClosed {
				return nil
			}
			if _, err := getStudent(tx, sc, c.StudentID); err != nil {
				return nil
			}
			d, err := time.Parse("2006-01-02", c.Date)
			if err != nil {
				return nil
			}
			st.Counts[stageOf(&c)][ageBand(int(t.Sub(d).Hours()/24))]++
			st.Open++
			return nil
		})
	})
	return st, err
}

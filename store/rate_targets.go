package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// KindRateTargets sets the targets the rates are held against (R19): a
// versioned setting of the bureau, like the calendar.
const KindRateTargets = "rates.targets"

var _ = register(kindSpec[RateTargetsChange]{Who: Writer, Nodes: BureauNode, Check: checkRateTargetsChange, Target: noTarget[RateTargetsChange], Apply: applyRateTargets})

var keyRateTargets = []byte("rates")

// RateTargets are the targets in percent: the consolidation rate (both
// kinds; 97 by default, the 2020 target of the plan) and the primary to
// junior progression rate (100).
type RateTargets struct {
	Consolidation float64 `json:"consolidation"`
	Progression   float64 `json:"progression"`

	Version   uint64    `json:"version"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// RateTargetsChange is the payload of rates.targets (the JSON of
// RateTargets; the version the user saw is Command.Version).
type RateTargetsChange struct{ RateTargets }

// Kind names the payload's command kind (Payload).
func (RateTargetsChange) Kind() string { return KindRateTargets }

// DefaultRateTargets are the targets of a register where none were set.
func DefaultRateTargets() RateTargets {
	return RateTargets{Consolidation: 97, Progression: 100, Version: 1}
}

// CheckRateTargets checks the targets' ranges. Errors are *FieldError.
func CheckRateTargets(p *RateTargets) error {
	switch {
	case !(p.Consolidation > 0 && p.Consolidation <= 100):
		return fieldErr("consolidation", "range", "the consolidation target must be above 0 and at most 100 (percent)")
	case !(p.Progression > 0 && p.Progression <= 100):
		return fieldErr("progression", "range", "the progression target must be above 0 and at most 100 (percent)")
	}
	return nil
}

func checkRateTargetsChange(p *RateTargetsChange) error { return CheckRateTargets(&p.RateTargets) }

func rateTargetsOf(tx *bolt.Tx) RateTargets {
	t := DefaultRateTargets()
	getJSON(tx.Bucket(bucketSettings), keyRateTargets, &t)
	return t
}

func applyRateTargets(a *applyCtx, ch *RateTargetsChange) error {
	if err := requireBureau(a); err != nil {
		return err
	}
	p := ch.RateTargets
	if err := CheckRateTargets(&p); err != nil {
		return invalid(err)
	}
	old := rateTargetsOf(a.tx)
	p.Version, p.UpdatedBy, p.UpdatedAt = old.Version+1, a.actor.Username, a.at
	changes := []Change{{Field: "consolidation", From: fmt.Sprint(old.Consolidation), To: fmt.Sprint(p.Consolidation)},
		{Field: "progression", From: fmt.Sprint(old.Progression), To: fmt.Sprint(p.Progression)}}
	return putSetting(a, keyRateTargets, old.Version, "rate targets", p, changes)
}

// RateTargets returns the targets of the rates.
func (db *DB) RateTargets() (RateTargets, error) {
	var t RateTargets
	err := db.view(func(tx *bolt.Tx) error { t = rateTargetsOf(tx); return nil })
	return t, err
}

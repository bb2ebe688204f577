package store

import (
	"cmp"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Households (户), the level under the villager group, are the children of
// the register grouped by their household number (Student.Household): the
// register keeps children, not households, so a household is known through
// its school-age children, who share the number, their guardians and, for
// the responsibility chain (双线四包), the group leader of their group.

// Household is one household of a villager group: its number ("" gathers
// the group's children without one) and its children in the caller's
// scope, in registration order.
type Household struct {
	No       string    `json:"no"`
	Children []Student `json:"children"`
}

// Households returns the households of villager group code that have
// children in scope sc, by household number ("" last). Errors: ErrNotFound
// for an unknown group, ErrClosed.
func (db *DB) Households(sc Scope, code string) ([]Household, error) {
	var g Group
	if err := db.view(func(tx *bolt.Tx) error {
		if !getJSON(tx.Bucket(bucketGroups), []byte(code), &g) {
			return ErrNotFound
		}
		return nil
	}); err != nil {
		return nil, err
	}
	byNo := map[string]*Household{}
	for f := (Filter{Village: g.VillageCode, Limit: MaxLimit}); ; {
		p, err := db.ListStudents(sc, f)
		if err != nil {
			return nil, err
		}
		for _, s := range p.Items {
			if s.GroupCode != code {
				continue
			}
			h := byNo[s.Household]
			if h == nil {
				h = &Household{No: s.Household}
				byNo[s.Household] = h
			}
			h.Children = append(h.Children, s)
		}
		if p.NextCursor == "" {
			break
		}
		f.Cursor = p.NextCursor
	}
	out := make([]Household, 0, len(byNo))
	for _, h := range byNo {
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b Household) int {
		if (a.No == "") != (b.No == "") {
			return cmp.Compare(b.No, a.No) // "" last
		}
		return cmp.Compare(a.No, b.No)
	})
	return out, nil
}

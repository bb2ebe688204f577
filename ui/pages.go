package ui

import (
	"encoding/json"
	"strconv"
	"strings"

	"baoxue/store"
)

// Helpers the pages share: the org tree with its names, units of
// responsibility by name, and the audit trail as lines of text.

// orgTree is the org tree as the pages need it: lists for selects and
// code → name maps for display.
type orgTree struct {
	Townships []store.Township
	Villages  []store.Village
	Schools   []store.School
	Groups    []groupSet
	names     map[string]string // township, village, group and school codes → names
}

// groupSet is a village's villager groups (an optgroup).
type groupSet struct {
	Village store.Village
	Groups  []store.Group
}

func (s *Server) loadOrg() (orgTree, error) {
	var o orgTree
	var err error
	if o.Townships, err = s.db.Townships(); err != nil {
		return o, err
	}
	if o.Villages, err = s.db.Villages(""); err != nil {
		return o, err
	}
	if o.Schools, err = s.db.Schools(""); err != nil {
		return o, err
	}
	groups, err := s.db.Groups("")
	if err != nil {
		return o, err
	}
	o.names = map[string]string{}
	byVillage := map[string][]store.Group{}
	for _, g := range groups {
		byVillage[g.VillageCode] = append(byVillage[g.VillageCode], g)
		o.names[g.Code] = g.Name
	}
	for _, t := range o.Townships {
		o.names[t.Code] = t.Name
	}
	for _, v := range o.Villages {
		o.names[v.Code] = v.Name
		if gs := byVillage[v.Code]; len(gs) > 0 {
			o.Groups = append(o.Groups, groupSet{Village: v, Groups: gs})
		}
	}
	for _, x := range o.Schools {
		o.names[x.Code] = x.Name
	}
	return o, nil
}

// Name shows a code by its name; unknown codes as they are.
func (o orgTree) Name(code string) string {
	if n, ok := o.names[code]; ok {
		return n
	}
	return code
}

// UnitName shows a unit in a template.
func (o orgTree) UnitName(lang, level, unit string) string { return unitName(lang, o, level, unit) }

// unitName shows a unit of a level by its names: 拉堡镇中心小学 三年级2班.
func unitName(lang string, o orgTree, level, unit string) string {
	switch level {
	case store.LevelGrade, store.LevelClass:
		parts := strings.Split(unit, "/")
		g, _ := strconv.Atoi(parts[1])
		if len(parts) == 3 {
			c, _ := strconv.Atoi(parts[2])
			return o.Name(parts[0]) + " " + translate(lang, "students.grade_class_n", g, c)
		}
		return o.Name(parts[0]) + " " + translate(lang, "students.grade_n", g)
	case store.LevelHousehold:
		return o.Name(unit) + translate(lang, "assign.households")
	}
	return o.Name(unit)
}

var grades = []int{1, 2, 3, 4, 5, 6, 7, 8, 9}

// auditRow is one audit entry with its changes as text.
type auditRow struct {
	store.AuditEntry
	Lines []string // what changed, one line per field
}

// auditRows shows an audit trail, each change as a line of text.
func auditRows(lang string, o orgTree, trail []store.AuditEntry) []auditRow {
	var out []auditRow
	for _, a := range trail {
		row := auditRow{AuditEntry: a}
		for _, ch := range a.Changes {
			row.Lines = append(row.Lines, changeText(lang, o, ch))
		}
		out = append(out, row)
	}
	return out
}

// changeText shows one audit change: field: from → to, values translated.
func changeText(lang string, o orgTree, ch store.Change) string {
	show := func(v string) string {
		switch ch.Field {
		case "status":
			return translateCode(lang, "status", v)
		case "gender":
			return translateCode(lang, "gender", v)
		case "village_code", "group_code", "school_code", "township_code":
			return o.Name(v)
		case "reason", "result", "step", "outcome": // cases (case.go)
			return translateCode(lang, ch.Field, v)
		case "state":
			return translateCode(lang, "casestate", v)
		case "flags":
			var names []string
			for _, f := range strings.Split(v, ",") {
				if f != "" {
					names = append(names, translateCode(lang, "flag", f))
				}
			}
			return strings.Join(names, "、")
		case "details":
			var d store.FlagDetails
			if json.Unmarshal([]byte(v), &d) == nil {
				return detailsText(lang, d)
			}
		case "guardians":
			var gs []store.Guardian
			if json.Unmarshal([]byte(v), &gs) == nil {
				var parts []string
				for _, g := range gs {
					parts = append(parts, strings.TrimSpace(g.Name+" "+g.Relation+" "+g.Phone))
				}
				return strings.Join(parts, "；")
			}
		}
		return v
	}
	label := translateCode(lang, "field", ch.Field)
	if ch.From == "" {
		return label + "：" + translate(lang, "student.set_to", show(ch.To))
	}
	return label + "：" + translate(lang, "student.from_to", show(ch.From), show(ch.To))
}

func detailsText(lang string, d store.FlagDetails) string {
	var parts []string
	add := func(key, v string) {
		if v != "" {
			parts = append(parts, translate(lang, key)+" "+v)
		}
	}
	add("field.poverty_household_id", d.PovertyHouseholdID)
	add("field.parents_workplace", d.ParentsWorkplace)
	add("field.parents_phone", d.ParentsPhone)
	add("field.disability_category", d.DisabilityCategory)
	if d.Placement != "" {
		add("field.placement", translateCode(lang, "placement", d.Placement))
	}
	return strings.Join(parts, "；")
}

package synth

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"baoxue/store"
)

// Status changes.
var (
	changeFrom = time.Date(referenceYear, 3, 1, 0, 0, 0, 0, time.UTC)
	changeTo   = time.Date(referenceYear, 11, 20, 0, 0, 0, 0, time.UTC)
	summerFrom = time.Date(referenceYear, 7, 15, 0, 0, 0, 0, time.UTC)
	summerTo   = time.Date(referenceYear, 8, 31, 0, 0, 0, 0, time.UTC)
	graduation = time.Date(referenceYear, 7, 1, 0, 0, 0, 0, time.UTC)
	termStarts = []time.Time{time.Date(referenceYear, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(referenceYear+1, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(referenceYear+1, 9, 1, 0, 0, 0, 0, time.UTC)}
	// changeKinds: each change, its rate, and the largest weight a child
	// can have for it in statusChanges.
	changeKinds = []struct {
		status string
		rate   float64
		wmax   float64
	}{
		{store.StatusDroppedOut, rates.DroppedOut, 3 * 2 * 2 * 3 * 1.5},
		{store.StatusSuspended, rates.Suspended, 1},
		{store.StatusTransferredOut, rates.TransferredOut, 4},
		{store.StatusGraduated, rates.Graduated, 1},
		{store.StatusEmigrated, rates.Emigrated, 1},
	}
)

// statusChanges picks a few dozen enrolled children whose status changes
// during the year: dropouts (more often in the focus grades and among
// left-behind, poor and struggling children), suspensions, transfers out
// (more often migrant children), graduations (grade 9) and emigrations.
func (g *gen) statusChanges() {
	rc := g.rc
	n := g.n
	taken := make([]bool, n)
	for _, ck := range changeKinds {
		kind := ck.status
		g.pickChildren(rc, count(ck.rate, n), ck.wmax, func(i int) float64 {
			if taken[i] || g.status[i] != codeEnrolled {
				return 0
			}
			grade := int(g.grade[i])
			b := g.bits[i]
			switch kind {
			case store.StatusDroppedOut:
				w := dropoutGrade[grade-1]
				if b&bitLeftBehind != 0 {
					w *= 2
				}
				if b&(bitPoor|bitLowIncome) != 0 {
					w *= 2
				}
				if b&bitLearning != 0 {
					w *= 3
				}
				if g.rural(i) {
					w *= 1.5
				}
				return w
			case store.StatusTransferredOut:
				if b&bitMigrant != 0 {
					return 4
				}
			case store.StatusGraduated:
				if grade != 9 {
					return 0
				}
			}
			return 1
		}, func(i int) {
			taken[i] = true
			g.d.StatusChanges = append(g.d.StatusChanges, StatusChange{StudentIndex: i, Change: g.change(i, kind)})
		})
	}
	slices.SortFunc(g.d.StatusChanges, func(a, b StatusChange) int {
		return cmp.Or(strings.Compare(a.Change.Date, b.Change.Date), cmp.Compare(a.StudentIndex, b.StudentIndex))
	})
}

// change makes the status change of child i to status.
func (g *gen) change(i int, status string) store.StudentStatus {
	rc := g.rc
	grade := int(g.grade[i])
	c := store.StudentStatus{Status: status}
	var date time.Time
	switch status {
	case store.StatusDroppedOut:
		date = g.schoolDay(changeFrom, changeTo, true)
		if grade >= 8 {
			c.Reason = g.dropOlderChoice()
		} else {
			c.Reason = dropoutReasons[g.dropW.pick(rc)].S
		}
	case store.StatusSuspended:
		date = g.schoolDay(changeFrom, changeTo, true)
		c.Reason = suspendReasons[g.suspW.pick(rc)].S
		back := date.AddDate(0, 0, 90)
		for _, t := range termStarts {
			if !t.Before(back) {
				c.ExpectedReturn = t.Format(time.DateOnly)
				break
			}
		}
	case store.StatusTransferredOut:
		date = g.schoolDay(changeFrom, changeTo, false)
		kind := "小学"
		if grade >= 7 {
			kind = "中学"
		}
		var place string
		switch x := rc.Float64(); {
		case g.bits[i]&bitMigrant != 0:
			place, c.Reason = transferHome[rc.IntN(len(transferHome))], reasonTransferHome
		case x < 0.6:
			place, c.Reason = transferWork[rc.IntN(len(transferWork))], reasonTransferWork
		default:
			place, c.Reason = transferNearby[rc.IntN(len(transferNearby))], reasonTransferNearby
		}
		c.Destination = place + "第" + numerals[1+rc.IntN(8)] + kind
	case store.StatusGraduated:
		date = g.schoolDay(graduation, graduation.AddDate(0, 0, 9), false)
		c.Reason = reasonGraduated
	case store.StatusEmigrated:
		date = g.schoolDay(changeFrom, changeTo, false)
		c.Reason = reasonEmigrated
		c.Destination = emigrations[rc.IntN(len(emigrations))]
	}
	c.Date = date.Format(time.DateOnly)
	return c
}

func (g *gen) dropOlderChoice() string {
	i := g.dropOlderW.pick(g.rc)
	if i < len(dropoutReasons) {
		return dropoutReasons[i].S
	}
	return dropoutReasonsOlder[i-len(dropoutReasons)].S
}

// schoolDay draws a weekday from..to (inclusive), outside the summer
// holiday if term is set. A Saturday moves to Friday, a Sunday to Monday;
// from and to must not be a weekend day pair at the range's edges.
func (g *gen) schoolDay(from, to time.Time, term bool) time.Time {
	days := int(to.Sub(from).Hours()/24+0.5) + 1
	for {
		d := from.AddDate(0, 0, g.rc.IntN(days))
		switch d.Weekday() {
		case time.Saturday:
			d = d.AddDate(0, 0, -1)
		case time.Sunday:
			d = d.AddDate(0, 0, 1)
		}
		if d.Before(from) || d.After(to) || term && !d.Before(summerFrom) && !d.After(summerTo) {
			continue
		}
		return d
	}
}

// users makes the example users: a bureau officer, two township officers
// (government line), the head of the district seat's central primary, a head
// teacher of one of its grade-6 classes, and a read-only inspector.
func (g *gen) users() {
	d := g.d
	seat := max(g.seat, 0)
	center := d.Schools[g.town[seat].center]
	town := d.Townships[seat]
	class := 1
	for i, si := range g.school {
		if si == int16(g.town[seat].center) && g.grade[i] == 6 {
			class = int(g.class[i])
			break
		}
	}
	d.Users = []UserSpec{
		{Username: "jiaoyuju", DisplayName: "韦志明（区教育局教育管理股）", Role: store.RoleOfficer, Line: store.LineEducation, Scope: store.DistrictScope.String()},
		{Username: "labao", DisplayName: "覃建华（" + town.Name + "人民政府）", Role: store.RoleOfficer, Line: store.LineGovernment,
			Scope: store.Scope{Kind: store.ScopeTownship, Code: town.Code}.String()},
	}
	if len(d.Townships) > 1 && seat != 1 {
		t := d.Townships[1]
		d.Users = append(d.Users, UserSpec{Username: "chuanshan", DisplayName: "潘德荣（" + t.Name + "人民政府）", Role: store.RoleOfficer,
			Line: store.LineGovernment, Scope: store.Scope{Kind: store.ScopeTownship, Code: t.Code}.String()})
	}
	d.Users = append(d.Users,
		UserSpec{Username: "xiaozhang", DisplayName: "蓝秀英（" + center.Name + "校长）", Role: store.RoleOfficer, Line: store.LineEducation,
			Scope: store.Scope{Kind: store.ScopeSchool, Code: center.Code}.String()},
		UserSpec{Username: "banzhuren", DisplayName: "黄丽娟（" + center.Name + "六年级" + strconv.Itoa(class) + "班班主任）", Role: store.RoleTeacher,
			Line: store.LineEducation, Scope: store.Scope{Kind: store.ScopeClass, Code: center.Code, Grade: 6, Class: class}.String()},
		UserSpec{Username: "dudao", DisplayName: "莫国强（区人民政府教育督导室）", Role: store.RoleViewer, Line: store.LineEducation, Scope: store.DistrictScope.String()},
	)
}

package synth

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"baoxue/store"
)

// ReportSpec is a reporting school's monthly report of the demo (R17) and
// the steps it went through, in order.
type ReportSpec struct {
	School, Month string
	Steps         []ReportStepSpec
}

// ReportStepSpec is one step: an action of store.ReportActions, with its
// reason (return), the day a paper report was received (a back-recorded
// submission), and who takes it ("" the loading administrator, else a
// township officer of the demo).
type ReportStepSpec struct {
	Action, Reason, Received, By string
}

// returnReasons are why a township or the bureau sends a report back.
var returnReasons = []string{"转出人数与转入学校回执不符，请核对后重报。", "工作小结缺少典型案例，请补充。",
	"休学学生未附证明材料，请补充后重报。", "劝返走访次数与案件记录不一致，请核实。"}

// Reports are the demo's monthly reports of the twelve months before
// today's and of today's own, for every reporting school: most approved on
// time, some late, some returned, some missing; last month's still under
// review in part; this month's submitted by a few early (when its deadline
// is near or past). Past submissions are back-recorded with the day they
// were received, so that their timeliness is what it was. The same seed
// and today give the same reports.
func (d *District) Reports(seed int64, today string) []ReportSpec {
	r := rand.New(rand.NewPCG(uint64(seed), 0x4e90475))
	cal := DemoCalendar()
	towns := map[string]string{} // township → an officer of it
	for _, u := range d.Users {
		if t, ok := strings.CutPrefix(u.Scope, "township:"); ok && u.Role == store.RoleOfficer && towns[t] == "" {
			towns[t] = u.Username
		}
	}
	rep := store.Reporters(d.Schools)
	var schools []store.School
	for _, s := range d.Schools {
		if rep[s.Code] == s.Code {
			schools = append(schools, s)
		}
	}
	slices.SortFunc(schools, func(a, b store.School) int { return cmp.Compare(a.Code, b.Code) })
	this := store.MonthOf(today)
	months := []string{this}
	for range 12 {
		months = append([]string{store.PrevMonth(months[0])}, months...)
	}
	var out []ReportSpec
	for i, m := range months {
		deadline, _ := store.ReportDeadline(&cal, m)
		for _, s := range schools {
			spec := ReportSpec{School: s.Code, Month: m}
			x := r.Float64()
			onTime := max(addDay(deadline, -r.IntN(4)), m+"-01")
			late := min(addDay(deadline, 1+r.IntN(9)), today)
			reason := returnReasons[r.IntN(len(returnReasons))]
			submit := func(day string) ReportStepSpec { return ReportStepSpec{Action: store.ReportSubmit, Received: day} }
			approve := ReportStepSpec{Action: store.ReportApprove}
			switch {
			case m == this:
				if x < 0.3 && today >= store.ReminderFrom(&cal, deadline) {
					spec.Steps = []ReportStepSpec{{Action: store.ReportSubmit}} // today, by the clock of the load
				}
			case i == len(months)-2 && x < 0.25: // last month: waiting for the township
				spec.Steps = []ReportStepSpec{submit(onTime)}
			case i == len(months)-2 && x < 0.45 && towns[s.TownshipCode] != "": // passed by the township, waiting for the bureau
				spec.Steps = []ReportStepSpec{submit(onTime), {Action: store.ReportApprove, By: towns[s.TownshipCode]}}
			case x < 0.72:
				spec.Steps = []ReportStepSpec{submit(onTime), approve}
			case x < 0.84 && late > deadline:
				spec.Steps = []ReportStepSpec{submit(late), approve}
			case x < 0.93:
				spec.Steps = []ReportStepSpec{submit(onTime), {Action: store.ReportReturn, Reason: reason}}
			}
			// else missing: never submitted
			out = append(out, spec)
		}
	}
	return out
}

func addDay(d string, n int) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}

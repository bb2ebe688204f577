package synth

import (
	"fmt"
	"time"

	"baoxue/store"
)

// registerReader is a Submitter that also reads its register (node.Node):
// the demo's reports carry the figures counted there, as a school's node
// counts them.
type registerReader interface {
	Store() *store.DB
}

// reports submits the demo's monthly reports (Reports) with the figures of
// the register as loaded, step by step: every report's first step, then
// every second one, so that each report's steps keep their order. A
// Submitter that does not read a register loads none.
func (l *loader) reports(d *District) error {
	rr, ok := l.sub.(registerReader)
	if !ok {
		return nil
	}
	today := time.Now().In(store.ChinaTime).Format("2006-01-02")
	specs := d.Reports(l.seed, today)
	figures := map[string]map[string]*store.ReportFigures{} // month → school → figures
	for _, sp := range specs {
		if _, ok := figures[sp.Month]; ok || len(sp.Steps) == 0 {
			continue
		}
		all, err := rr.Store().ReportFiguresAll(sp.Month, today)
		if err != nil {
			return fmt.Errorf("demo report figures of %s: %w", sp.Month, err)
		}
		figures[sp.Month] = all
	}
	n := 0
	for step := 0; ; step++ {
		var todo []int
		for i, sp := range specs {
			if step < len(sp.Steps) {
				todo = append(todo, i)
			}
		}
		if len(todo) == 0 {
			break
		}
		err := l.submitAll("reports", len(todo), func(j int) (store.Command, error) {
			sp := specs[todo[j]]
			st := sp.Steps[step]
			p := store.ReportAction{School: sp.School, Month: sp.Month, Action: st.Action, Reason: st.Reason, Received: st.Received}
			if st.Action == store.ReportSubmit {
				p.Figures = figures[sp.Month][sp.School]
				p.Summary = demoSummary(p.Figures)
			}
			actor := l.actor
			if st.By != "" {
				actor = store.Actor{User: st.By, Role: store.RoleOfficer, Node: l.actor.Node}
			}
			return store.NewCommand(l.id(store.KindReportAction+":"+sp.School+":"+sp.Month, step), actor, p)
		}, func(j int, r store.Result) error {
			if !r.Applied() && r.Code != store.CodeState { // a report moved on by an earlier load
				sp := specs[todo[j]]
				return fmt.Errorf("demo report %s %s %s rejected: %s", sp.School, sp.Month, sp.Steps[step].Action, r.Reason)
			}
			return nil
		})
		if err != nil {
			return err
		}
		n += len(todo)
	}
	l.report("monthly reports", n)
	return nil
}

// demoSummary is a school's short work report, from its figures.
func demoSummary(f *store.ReportFigures) string {
	if f == nil {
		return ""
	}
	return fmt.Sprintf("本月在校生%d人（女%d人）；新增辍学%d人，劝返复学%d人，仍未返校%d人；开展劝返走访%d次。典型案例：对长期外出务工家庭子女，学校会同村委、驻村工作队上门劝返，落实“双线四包”责任。",
		f.Row(store.MeasureEnrolled).Total.All, f.Row(store.MeasureEnrolled).Total.Female, f.Row(store.MeasureDropout).Total.All,
		f.Row(store.MeasureReturned).Total.All, f.Row(store.MeasureStillOut).Total.All, f.Row(store.MeasureVisits).Total.All)
}

package ui

import (
	"fmt"

	"baoxue/store"
)

// The dashboard's charts, each from the same figures as its table.

func (s *Server) dashboardCharts(p *dashboardPage, u store.User) error {
	lang := p.Lang
	tr := func(key string, args ...any) string { return translate(lang, key, args...) }
	rep := &p.Rates
	// The unit's rates against their targets.
	rates := chart{ID: "chart-rates", Title: tr("dashboard.chart_rates"), Kind: "bar", Unit: "%"}
	value, target := series{Name: tr("dashboard.value")}, series{Name: tr("dashboard.target")}
	for _, r := range rep.Rates {
		rates.Categories = append(rates.Categories, translateCode(lang, "rate", r.Name))
		value.Data = append(value.Data, percent(r.Value))
		var tg *float64
		if r.Target > 0 {
			tg = percent(&r.Target)
		}
		target.Data = append(target.Data, tg)
	}
	rates.Series = []series{value, target}
	rates.finish(lang, tr("dashboard.rate"))
	p.Charts = append(p.Charts, rates)
	if len(rep.Units) > 0 {
		p.Charts = append(p.Charts, unitsChart(p, rep))
	}
	// Dropouts and returns by month.
	trend := chart{ID: "chart-trend", Title: tr("dashboard.chart_trend"), Kind: "line"}
	drops, rets := series{Name: translateCode(lang, "term", store.TermDropouts)}, series{Name: translateCode(lang, "term", store.TermReturns)}
	for _, m := range rep.Months {
		trend.Categories = append(trend.Categories, m.Month)
		drops.Data, rets.Data = append(drops.Data, num(m.Dropouts)), append(rets.Data, num(m.Returns))
	}
	trend.Series = []series{drops, rets}
	trend.finish(lang, tr("dashboard.month"))
	p.Charts = append(p.Charts, trend)
	sc := unitScopeOf(p.Q, u)
	cases, err := s.casesChart(lang, sc)
	if err != nil {
		return err
	}
	ledgers, err := s.ledgersChart(lang, sc)
	if err != nil {
		return err
	}
	reports, err := s.reportsChart(lang, sc, p.Q.Year)
	if err != nil {
		return err
	}
	p.Charts = append(p.Charts, cases, ledgers, reports)
	return nil
}

// unitsChart: the consolidation rates of each unit under the one shown.
func unitsChart(p *dashboardPage, rep *store.RatesReport) chart {
	lang := p.Lang
	ch := chart{ID: "chart-units", Title: translate(lang, "dashboard.chart_units"), Kind: "bar", Unit: "%"}
	cohort, annual := series{Name: translateCode(lang, "rate", store.RateCohort)}, series{Name: translateCode(lang, "rate", store.RateAnnual)}
	for _, u := range rep.Units {
		ch.Categories = append(ch.Categories, p.Name(u.Code))
		for _, r := range u.Rates {
			switch r.Name {
			case store.RateCohort:
				cohort.Data = append(cohort.Data, percent(r.Value))
			case store.RateAnnual:
				annual.Data = append(annual.Data, percent(r.Value))
			}
		}
	}
	ch.Series = []series{cohort, annual}
	t := rep.Targets.Consolidation
	ch.Target, ch.TargetName = &t, translate(lang, "dashboard.target")
	ch.finish(lang, translate(lang, "dashboard.unit"))
	return ch
}

// casesChart: the open cases by stage (categories) and age (series).
func (s *Server) casesChart(lang string, sc store.Scope) (chart, error) {
	st, err := s.db.OpenCaseStats(sc, s.today())
	if err != nil {
		return chart{}, err
	}
	ch := chart{ID: "chart-cases", Title: translate(lang, "dashboard.chart_cases", st.Open), Kind: "stack"}
	for _, stage := range st.Stages {
		ch.Categories = append(ch.Categories, translateCode(lang, "stage", stage))
	}
	for a, age := range st.Ages {
		se := series{Name: translate(lang, "dashboard.days", age)}
		for i := range st.Stages {
			se.Data = append(se.Data, num(st.Counts[i][a]))
		}
		ch.Series = append(ch.Series, se)
	}
	ch.finish(lang, translate(lang, "dashboard.stage"))
	return ch, nil
}

// ledgersChart: the sizes of the three ledgers (三本台账) today.
func (s *Server) ledgersChart(lang string, sc store.Scope) (chart, error) {
	ch := chart{ID: "chart-ledgers", Title: translate(lang, "dashboard.chart_ledgers"), Kind: "bar"}
	size := series{Name: translate(lang, "dashboard.children")}
	for _, name := range store.Ledgers {
		page, err := s.db.Ledger(sc, name, store.LedgerFilter{Date: s.today(), Limit: 1})
		if err != nil {
			return chart{}, err
		}
		ch.Categories = append(ch.Categories, translate(lang, ledgerTitle(name)))
		size.Data = append(size.Data, num(page.Total))
	}
	ch.Series = []series{size}
	ch.finish(lang, translate(lang, "dashboard.ledger"))
	return ch, nil
}

// reportsChart: the monthly reports of the unit's reporting schools for
// each month of the school year begun, by timeliness (ReportCompleteness).
func (s *Server) reportsChart(lang string, sc store.Scope, year int) (chart, error) {
	ch := chart{ID: "chart-reports", Title: translate(lang, "dashboard.chart_reports"), Kind: "stack"}
	onTime, late := series{Name: translateCode(lang, "report.timeliness", store.ReportOnTime)}, series{Name: translateCode(lang, "report.timeliness", store.ReportLate)}
	missing, due := series{Name: translateCode(lang, "report.state", store.ReportMissing)}, series{Name: translateCode(lang, "report.state", store.ReportDue)}
	today := s.today()
	for m := 0; m < 12; m++ {
		month := fmt.Sprintf("%d-%02d", year+(m+8)/12, (m+8)%12+1)
		if month > today[:7] {
			break
		}
		c, err := s.db.ReportCompleteness(sc, month, today)
		if err != nil {
			return chart{}, err
		}
		ch.Categories = append(ch.Categories, month)
		onTime.Data, late.Data = append(onTime.Data, num(c.Total.OnTime)), append(late.Data, num(c.Total.Late))
		missing.Data, due.Data = append(missing.Data, num(c.Total.Missing)), append(due.Data, num(c.Total.Due))
	}
	ch.Series = []series{onTime, late, missing, due}
	ch.finish(lang, translate(lang, "dashboard.month"))
	return ch, nil
}

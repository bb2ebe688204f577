package node

import (
	"slices"
	"testing"
	"time"

	"baoxue/store"
)

// schoolDaysBack lists the n weekdays before today in China, oldest first:
// school days of the default calendar (no terms set).
func schoolDaysBack(n int) []string {
	var out []string
	for d := time.Now().In(store.ChinaTime).AddDate(0, 0, -1); len(out) < n; d = d.AddDate(0, 0, -1) {
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			out = append(out, d.Format("2006-01-02"))
		}
	}
	slices.Reverse(out)
	return out
}

// TestOfflineRollCalls: a township cut off from the bureau records three
// school days of roll calls with a child absent; each is pending (202) and
// bad input is refused at once. After the link heals the child is on the
// suspected-dropout ledger of both nodes, and both lines' to-do lists owe
// the written report.
func TestOfflineRollCalls(t *testing.T) {
	c := newCluster(t, fastTiming())
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	town := c.join(t, "lapu", townshipCode, false)
	var child writeAnswer
	bureau.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 1, "S100", 5), 201, &child)
	c.waitConverged(t, 30*time.Second)
	id := child.Student.ID

	c.isolate(town)
	days := schoolDaysBack(3)
	for _, d := range days {
		var a writeAnswer
		town.mustAPI(t, "PUT", "/api/v1/attendance/S100/5/1/"+d,
			map[string]any{"version": 0, "absent": []map[string]string{{"student_id": id, "kind": "unexcused"}}}, 202, &a)
		if a.Command.State != store.StatePending {
			t.Fatalf("roll call of %s on the cut-off township: %+v, want pending", d, a.Command)
		}
	}
	// A child twice is refused by the township itself, and queues nothing.
	twice := []map[string]string{{"student_id": id, "kind": "late"}, {"student_id": id, "kind": "late"}}
	town.mustAPI(t, "PUT", "/api/v1/attendance/S100/5/1/"+days[0], map[string]any{"version": 0, "absent": twice}, 400, nil)

	c.heal()
	c.waitConverged(t, 60*time.Second)
	for _, p := range []*proc{bureau, town} {
		var led store.LedgerPage
		p.mustAPI(t, "GET", "/api/v1/ledgers/suspected", nil, 200, &led)
		if led.Total != 1 || led.Items[0].StudentID != id || led.Items[0].Since != days[0] || led.Items[0].Days != 3 {
			t.Errorf("suspected ledger on %s: %+v", p.id, led)
		}
		var td store.Todo
		p.mustAPI(t, "GET", "/api/v1/todo", nil, 200, &td)
		var kinds []string
		for _, it := range td.Items {
			if it.StudentID == id {
				kinds = append(kinds, it.Kind)
			}
		}
		if !slices.Contains(kinds, store.TodoDropoutOwed) || !slices.Contains(kinds, store.TodoHomeVisit) {
			t.Errorf("to-do list on %s: %v, want the report and the home visit", p.id, kinds)
		}
		var rc store.RollCallRecord
		p.mustAPI(t, "GET", "/api/v1/attendance/S100/5/1/"+days[2], nil, 200, &rc)
		if rc.Version != 1 || rc.Node != town.id {
			t.Errorf("roll call of %s on %s: version %d from %q, want 1 from %s", days[2], p.id, rc.Version, rc.Node, town.id)
		}
	}
}

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
// bad input is refused at once. The township's to-do list has the ladder's
// items at once (pending). After the link heals the child is on the
// suspected-dropout ledger of both nodes once, both lines' to-do lists owe
// the written report, and each roll call was applied once.
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

	// While cut off, the township's to-do list has the ladder's items at
	// once, from its replica plus its outbox, marked pending; the bureau
	// knows nothing yet.
	items := childTodo(t, town, id)
	if got, want := todoKinds(items), []string{store.TodoContact, store.TodoContact, store.TodoContact, store.TodoDropoutOwed, store.TodoHomeVisit}; !slices.Equal(got, want) {
		t.Errorf("to-do list on the cut-off township: %v, want %v", got, want)
	}
	for _, it := range items {
		if !it.Pending || it.EntryID != "" {
			t.Errorf("cut off: item %+v, want pending and no ledger entry yet", it)
		}
	}
	if got := childTodo(t, bureau, id); len(got) != 0 {
		t.Errorf("the bureau's to-do list before the heal: %+v, want nothing", got)
	}
	var led store.LedgerPage
	town.mustAPI(t, "GET", "/api/v1/ledgers/suspected", nil, 200, &led)
	if led.Total != 0 {
		t.Errorf("the cut-off township's suspected ledger: %+v, want nothing applied yet", led)
	}

	c.heal()
	c.waitConverged(t, 60*time.Second)
	for _, p := range []*proc{bureau, town} {
		checkHealedRollCalls(t, p, town.id, id, days)
	}
}

// checkHealedRollCalls: after the heal, node p has each day's roll call
// once (version 1, from the township), the child once on the suspected
// ledger, and the ladder's items once each, no longer pending.
func checkHealedRollCalls(t *testing.T, p *proc, town, id string, days []string) {
	t.Helper()
	var led store.LedgerPage
	p.mustAPI(t, "GET", "/api/v1/ledgers/suspected", nil, 200, &led)
	if led.Total != 1 || led.Items[0].StudentID != id || led.Items[0].Since != days[0] || led.Items[0].Days != 3 {
		t.Errorf("suspected ledger on %s: %+v", p.id, led)
	}
	items := childTodo(t, p, id)
	if got, want := todoKinds(items), []string{store.TodoContact, store.TodoContact, store.TodoContact, store.TodoDropoutOwed, store.TodoHomeVisit}; !slices.Equal(got, want) {
		t.Errorf("to-do list on %s: %v, want %v", p.id, got, want)
	}
	for _, it := range items {
		if it.Pending || (it.Kind == store.TodoDropoutOwed && it.EntryID != led.Items[0].ID) {
			t.Errorf("to-do item on %s after the heal: %+v, want applied, the report on entry %s", p.id, it, led.Items[0].ID)
		}
	}
	for _, d := range days {
		var rc store.RollCallRecord
		p.mustAPI(t, "GET", "/api/v1/attendance/S100/5/1/"+d, nil, 200, &rc)
		if rc.Version != 1 || rc.Node != town {
			t.Errorf("roll call of %s on %s: version %d from %q, want 1 from %s", d, p.id, rc.Version, rc.Node, town)
		}
	}
}

// childTodo is the items of node p's to-do list on child id.
func childTodo(t *testing.T, p *proc, id string) []store.TodoItem {
	t.Helper()
	var td store.Todo
	p.mustAPI(t, "GET", "/api/v1/todo", nil, 200, &td)
	return slices.DeleteFunc(td.Items, func(it store.TodoItem) bool { return it.StudentID != id })
}

func todoKinds(items []store.TodoItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Kind)
	}
	slices.Sort(out)
	return out
}

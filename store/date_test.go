package store

import (
	"encoding/json"
	"testing"
	"time"
)

// A Date is written as the date strings of the records ("" for none), and
// the register's day is China's: 16:30 UTC is already tomorrow there.
func TestDate(t *testing.T) {
	d, err := ParseDate("2026-02-28")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(struct {
		D    Date `json:"d"`
		None Date `json:"none"`
	}{d.AddDays(1), Date{}})
	if string(b) != `{"d":"2026-03-01","none":""}` {
		t.Errorf("JSON = %s", b)
	}
	var back struct{ D, None Date }
	if err := json.Unmarshal(b, &back); err != nil || back.D != d.AddDays(1) || !back.None.IsZero() {
		t.Errorf("read back %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"D":"28.2.2026"}`), &back); err == nil {
		t.Error("a date not written YYYY-MM-DD was read")
	}
	late := time.Date(2026, 11, 30, 16, 30, 0, 0, time.UTC)
	if got := DateOf(late).String(); got != "2026-12-01" {
		t.Errorf("DateOf(%v) = %s, want 2026-12-01", late, got)
	}
	if !after("2026-12-02", DateOf(late)) || after("2026-12-01", DateOf(late)) || after("", DateOf(late)) {
		t.Error("after compares dates wrongly")
	}
	if got := addDays("2026-01-01", -1); got != "2025-12-31" {
		t.Errorf("addDays = %s", got)
	}
}

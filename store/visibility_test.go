package store

import "testing"

// Age counts whole years, the birthday itself included; masks keep what a
// user needs to recognise a number and hide the rest.
func TestAgeAndMasks(t *testing.T) {
	for _, c := range []struct {
		birth, today string
		want         int
	}{
		{"2017-03-15", "2026-03-14", 8}, {"2017-03-15", "2026-03-15", 9}, {"2016-02-29", "2026-02-28", 9},
		{"2016-02-29", "2026-03-01", 10}, {"2017-03-15", "2010-01-01", 0}, {"", "2026-01-01", 0},
	} {
		if got := Age(c.birth, c.today); got != c.want {
			t.Errorf("Age(%s, %s) = %d, want %d", c.birth, c.today, got, c.want)
		}
	}
	id := "45020620170315011X"
	for _, c := range []struct{ got, want string }{
		{MaskID(id), "450206********011X"},
		{maskStudentNo("G"+id, id), "G450206********011X"},
		{maskStudentNo("G"+id, ""), "G450206********011X"},
		{MaskPhone("13900000011"), "139****0011"},
		{MaskPhone("0772-1234567"), "077*****4567"},
	} {
		if c.got != c.want {
			t.Errorf("masked %q, want %q", c.got, c.want)
		}
	}
}

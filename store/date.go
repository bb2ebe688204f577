package store

import "time"

// ChinaTime is the zone of the register's dates (China Standard Time). A
// fixed zone, so that Apply does not depend on the machine's tz database;
// the ui shows dates and times in it too.
var ChinaTime = time.FixedZone("CST", 8*3600)

// dateLayout is how dates are written, in JSON and on pages.
const dateLayout = "2006-01-02"

// Date is a civil date: a day, with no time and no zone. It is written
// YYYY-MM-DD (as text and in JSON, where the zero Date is ""), so it reads
// and compares like the date strings of the records. Dates are compared
// and counted with its methods, never by hand.
type Date struct{ t time.Time } // midnight UTC of the day; zero: no date

// ParseDate reads a date written YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, err
	}
	return Date{t}, nil
}

// DateOf is the date of t in China.
func DateOf(t time.Time) Date {
	y, m, d := t.In(ChinaTime).Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// ValidDate reports whether s is a date written YYYY-MM-DD.
func ValidDate(s string) bool {
	_, err := ParseDate(s)
	return err == nil
}

// String writes d as YYYY-MM-DD ("" for the zero Date).
func (d Date) String() string {
	if d.t.IsZero() {
		return ""
	}
	y, m, day := d.t.Date()
	if y < 1000 || y > 9999 {
		return d.t.Format(dateLayout)
	}
	// d.t.Format(dateLayout), in one allocation: every command's day.
	b := [10]byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-', byte('0' + day/10), byte('0' + day%10)}
	return string(b[:])
}

// IsZero reports whether d is no date.
func (d Date) IsZero() bool { return d.t.IsZero() }

// AddDays is the date n days after d (before, for negative n).
func (d Date) AddDays(n int) Date { return Date{d.t.AddDate(0, 0, n)} }

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.t.Before(e.t) }

// After reports whether d is later than e.
func (d Date) After(e Date) bool { return d.t.After(e.t) }

// MarshalText writes d as YYYY-MM-DD ("" for the zero Date).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD, or "" as the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	x, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = x
	return nil
}

// addDays is the date n days after date string d (checked YYYY-MM-DD); a
// malformed d is returned as it is.
func addDays(d string, n int) string {
	x, err := ParseDate(d)
	if err != nil {
		return d
	}
	return x.AddDays(n).String()
}

// after reports whether date string s (checked YYYY-MM-DD) is later than d:
// how the register asks "is this date in the future?".
func after(s string, d Date) bool {
	x, err := ParseDate(s)
	return err == nil && x.After(d)
}

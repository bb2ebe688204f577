package synth

import (
	"errors"
	"iter"
	"slices"

	"baoxue/store"
)

// A district's children are kept as columns while it is generated (a few
// bytes a child: what picks the status changes, cases, classes and roll
// calls), and their records are made when needed by generating them again
// from the seed: children() draws the same numbers in the same order, so
// the second run makes the same names, ID numbers, households and
// guardians, and the columns add what later stages decided (never
// enrolled, school, class). Plan keeps only the columns; Generate makes
// every record once and keeps them in Students.

// columns are what the generator keeps of each child.
type columns struct {
	grade  []uint8 // 1–9; 0 when never enrolled
	status []uint8 // codeEnrolled, codeHomeTaught or codeNeverEnrolled
	class  []uint8 // 0: none
	school []int16 // index into District.Schools; -1: none
	bits   []uint8 // flag bits (bitPoor …)
	vilOf  []int16 // index into District.Villages
}

func (c *columns) make(n int) {
	*c = columns{grade: make([]uint8, 0, n), status: make([]uint8, 0, n), class: make([]uint8, 0, n),
		school: make([]int16, 0, n), bits: make([]uint8, 0, n), vilOf: make([]int16, 0, n)}
}

// Status codes of the columns.
const (
	codeEnrolled uint8 = iota
	codeHomeTaught
	codeNeverEnrolled
)

var statusOfCode = [...]string{codeEnrolled: store.StatusEnrolled, codeHomeTaught: store.StatusHomeTaught,
	codeNeverEnrolled: store.StatusNeverEnrolled}

func statusCode(status string) uint8 {
	return uint8(slices.Index(statusOfCode[:], status))
}

// flagsOf are the flags of bits, in the order of store.Flags (nil: none).
func flagsOf(bits uint8) []string {
	var flags []string
	for _, f := range store.Flags {
		if b := flagBit(f); b != 0 && bits&b != 0 {
			flags = append(flags, f)
		}
	}
	return flags
}

// errStopped ends a replay whose consumer wants no more children.
var errStopped = errors.New("synth: replay stopped")

// emitChild completes child i's record from the columns (what the stages
// after children() decided) and hands it on.
func (g *gen) emitChild(i int, s store.StudentFields, h *household) error {
	c := g.columns
	if c.status[i] == codeNeverEnrolled {
		s.Status, s.Grade = store.StatusNeverEnrolled, 0
	}
	s.Class = int(c.class[i])
	if si := c.school[i]; si >= 0 {
		s.SchoolCode = g.d.Schools[si].Code
		s.StudentNo = "G" + s.IDNumber
	}
	s.Flags = flagsOf(c.bits[i])
	guardians := slices.Clone(g.guards[h.guardStart : h.guardStart+int32(h.guardN)])
	if !g.emit(i, s, guardians) {
		return errStopped
	}
	return nil
}

// NumStudents is the number of children in the district.
func (d *District) NumStudents() int {
	if d.Students != nil || d.cols == nil {
		return len(d.Students)
	}
	return len(d.cols.grade)
}

// Children yields every child's record with its index, in the order of
// Students: from Students when the district holds them, else made again
// from the seed (Plan), one at a time. Each record is the caller's.
func (d *District) Children() iter.Seq2[int, store.StudentFields] {
	return func(yield func(int, store.StudentFields) bool) {
		if d.Students != nil || d.cols == nil {
			for i, s := range d.Students {
				if !yield(i, s) {
					return
				}
			}
			return
		}
		g := newGen(d.cfg)
		g.structure()
		g.d, g.columns = d, d.cols // the district as planned: its schools, and what the stages decided
		g.emit = func(i int, s store.StudentFields, guardians []store.Guardian) bool {
			s.Guardians = guardians
			return yield(i, s)
		}
		if err := g.children(); err != nil && !errors.Is(err, errStopped) {
			// Plan made the same children without error.
			panic("synth: replay: " + err.Error())
		}
	}
}

// childRow is what the stages after the load read of a child: from
// Students when the district holds them, else from the columns.
type childRow struct {
	status, school string // school: its code, "" for none
	grade, class   int
	bits           uint8
}

func (d *District) row(i int) childRow {
	if d.Students != nil || d.cols == nil {
		s := &d.Students[i]
		var bits uint8
		for _, f := range s.Flags {
			bits |= flagBit(f)
		}
		return childRow{status: s.Status, school: s.SchoolCode, grade: s.Grade, class: s.Class, bits: bits}
	}
	c := d.cols
	k := childRow{status: statusOfCode[c.status[i]], grade: int(c.grade[i]), class: int(c.class[i]), bits: c.bits[i]}
	if si := c.school[i]; si >= 0 {
		k.school = d.Schools[si].Code
	}
	return k
}

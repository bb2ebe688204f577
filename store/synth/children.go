package synth

import (
	"fmt"
	"math"
	"math/rand/v2"

	"baoxue/store"
)

// Children: households, guardians, ID numbers, schools and classes.

// children makes the children, household by household, villager group by
// villager group: the district's children are apportioned to towns by
// residents, to villages and groups by their weights.
func (g *gen) children() error {
	n := g.cfg.Students
	r := g.r
	for i := range g.idOffset {
		g.idOffset[i] = uint16(r.IntN(500))
	}
	if g.emit == nil {
		g.columns.make(n)
	}
	g.hhSeq = make([]int, len(towns))

	tw := make([]float64, len(towns))
	for i, t := range towns {
		tw[i] = float64(t.Residents)
	}
	for ti, tn := range apportion(n, tw) {
		vs := g.town[ti].villages
		vw := make([]float64, len(vs))
		for k, vi := range vs {
			vw[k] = g.vil[vi].weight
		}
		for k, vn := range apportion(tn, vw) {
			vi := vs[k]
			gs := g.vil[vi].groups
			gw := make([]float64, len(gs))
			for j, gi := range gs {
				gw[j] = g.groupW[gi]
			}
			for j, gn := range apportion(vn, gw) {
				cur := -1
				for range gn {
					if cur < 0 || int(g.hh[cur].kids) >= rates.MaxSiblings || r.Float64() >= rates.Siblings {
						cur = g.household(ti)
					}
					if err := g.child(ti, vi, gs[j], cur); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// household makes a new household in town ti and returns its index. The
// household before it has all its children.
func (g *gen) household(ti int) int {
	r := g.r
	g.hh, g.guards = g.hh[:0], g.guards[:0]
	rural := !towns[ti].Urban
	eth := g.ethW.pick(r)
	h := household{eth: uint8(eth), guardStart: int32(len(g.guards))}
	h.surname = ethnicities[eth].Surnames[g.surnameW[eth].pick(r)].S
	g.hhSeq[ti]++
	h.no = g.town[ti].code[6:] + pad(g.hhSeq[ti], 6)
	if r.Float64() < rates.RegisteredPoor.of(rural) {
		h.bits |= bitPoor
		g.povSeq++
		h.details.PovertyHouseholdID = g.cfg.DistrictCode + pad(g.povSeq, 9)
	}
	if r.Float64() < rates.LowIncome.of(rural) {
		h.bits |= bitLowIncome
	}
	lb := rates.LeftBehind.of(rural)
	if r.Float64() < lb {
		h.bits |= bitLeftBehind
		h.details.ParentsWorkplace = workplaces[g.workW.pick(r)].S
		h.details.ParentsPhone = g.phone()
	} else if r.Float64() < rates.Migrant.of(rural)/(1-lb) {
		h.bits |= bitMigrant
	}
	two := r.Float64() < rates.TwoGuardian
	other := g.otherSurname(eth, h.surname)
	if h.bits&bitLeftBehind != 0 {
		if r.Float64() < 0.7 { // paternal grandparents
			if two || r.Float64() < 0.4 {
				g.guardian(h.surname, "祖父", true)
			}
			if two || len(g.guards) == int(h.guardStart) {
				g.guardian(other, "祖母", false)
			}
		} else {
			if two || r.Float64() < 0.4 {
				g.guardian(other, "外祖父", true)
			}
			if two || len(g.guards) == int(h.guardStart) {
				g.guardian(g.otherSurname(eth, other), "外祖母", false)
			}
		}
	} else {
		if two || r.Float64() < 0.4 {
			g.guardian(h.surname, "父亲", true)
		}
		if two || len(g.guards) == int(h.guardStart) {
			g.guardian(other, "母亲", false)
		}
	}
	h.guardN = uint8(len(g.guards) - int(h.guardStart))
	g.hh = append(g.hh, h)
	return len(g.hh) - 1
}

func (g *gen) otherSurname(eth int, not string) string {
	s := ethnicities[eth].Surnames[g.surnameW[eth].pick(g.r)].S
	if s == not {
		s = ethnicities[eth].Surnames[g.surnameW[eth].pick(g.r)].S
	}
	return s
}

func (g *gen) guardian(surname, relation string, male bool) {
	chars := womanChars
	if male {
		chars = manChars
	}
	name := surname + chars[g.r.IntN(len(chars))]
	if g.r.Float64() < 0.85 {
		name += chars[g.r.IntN(len(chars))]
	}
	g.guards = append(g.guards, store.Guardian{Name: name, Relation: relation, Phone: g.phone()})
}

// phone makes an 11-digit mobile number.
func (g *gen) phone() string {
	b := append(g.buf[:0], mobilePrefixes[g.r.IntN(len(mobilePrefixes))]...)
	b = appendPad(b, g.r.IntN(100_000_000), 8)
	g.buf = b
	return string(b)
}

// child makes one child of household hi, living in group gi of village vi
// in town ti.
func (g *gen) child(ti, vi, gi, hi int) error {
	r := g.r
	h := &g.hh[hi]
	h.kids++
	rural := !towns[ti].Urban
	male := r.Float64() < rates.MaleBirths
	chars := girlChars
	gender := "F"
	if male {
		chars, gender = boyChars, "M"
	}
	name := h.surname + chars[r.IntN(len(chars))]
	if r.Float64() < 0.75 {
		name += chars[r.IntN(len(chars))]
	}
	grade := g.gradeW.pick(r) + 1
	id, err := g.idNumber(grade, male)
	if err != nil {
		return err
	}
	bits := h.bits
	details := h.details
	status := store.StatusEnrolled
	school := -1
	if r.Float64() < rates.Disabled {
		bits |= bitDisabled
		details.DisabilityCategory = disabilityCategories[g.disW.pick(r)].S
		details.Placement = placements[g.placeW.pick(r)].S
		switch details.Placement {
		case placementSpecial:
			school = g.specialSchool
		case placementHome:
			status = store.StatusHomeTaught
		}
	}
	if r.Float64() < rates.LearningDifficulty.of(rural) {
		bits |= bitLearning
	}
	if ethnicities[h.eth].Name != han {
		bits |= bitMinority
	}
	if school < 0 {
		school = g.pickSchool(ti, vi, grade)
	}
	if g.vil[vi].remote || g.sch[school].typ == store.SchoolTeachingPoint {
		bits |= bitRemote
	}
	s := store.StudentFields{
		Name:        name,
		Gender:      gender,
		IDNumber:    id,
		Ethnicity:   ethnicities[h.eth].Name,
		VillageCode: g.vil[vi].code,
		GroupCode:   g.d.Groups[gi].Code,
		Household:   h.no,
		Grade:       grade,
		Status:      status,
		Details:     details,
	}
	i := g.n
	g.n++
	if g.emit != nil {
		return g.emitChild(i, s, h)
	}
	c := g.columns
	c.grade = append(c.grade, uint8(grade))
	c.status = append(c.status, statusCode(status))
	c.class = append(c.class, 0)
	c.bits = append(c.bits, bits)
	c.vilOf = append(c.vilOf, int16(vi))
	c.school = append(c.school, int16(school))
	return nil
}

// pickSchool chooses the school of a child in grade of village vi of town
// ti: sometimes a school in the district seat, often the school named after
// the village, otherwise one of the town's larger schools.
func (g *gen) pickSchool(ti, vi, grade int) int {
	r := g.r
	t := ti
	if g.seat >= 0 && ti != g.seat && r.Float64() < rates.CrossTown {
		t = g.seat
	} else if v := &g.vil[vi]; v.home >= 0 {
		s := &g.sch[v.home]
		if grade >= s.lo && grade <= s.hi && r.Float64() < v.homeShare {
			return v.home
		}
	}
	tw := &g.town[t]
	if grade >= 7 {
		return tw.openJ[tw.openJW.pick(r)]
	}
	return tw.openP[tw.openPW.pick(r)]
}

// idNumber makes a unique 18-digit ID number (GB 11643) for a child in
// grade: region, birth date in the grade's cohort, a sequence number odd for
// boys and even for girls, and the check digit.
func (g *gen) idNumber(grade int, male bool) (string, error) {
	lo, hi := g.cohort[grade-1][0], g.cohort[grade-1][1]
	sex, capacity := 1, 499 // girls: 002…998
	if male {
		sex, capacity = 0, 500 // boys: 001…999
	}
	day := lo + g.r.IntN(hi-lo)
	for range hi - lo {
		k := &g.idCount[2*day+sex]
		if int(*k) < capacity {
			slot := (int(g.idOffset[day]) + int(*k)) % capacity
			*k++
			seq := 2*slot + 2
			if male {
				seq = 2*slot + 1
			}
			b := append(g.buf[:0], g.cfg.DistrictCode...)
			b = append(b, g.dates[8*day:8*day+8]...)
			b = appendPad(b, seq, 3)
			b = append(b, checkDigit(b))
			g.buf = b
			return string(b), nil
		}
		if day++; day == hi {
			day = lo
		}
	}
	return "", fmt.Errorf("synth: no free ID number for grade %d: too many children", grade)
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// checkDigit is the ISO 7064 MOD 11-2 check character of the 17 digits.
func checkDigit(b []byte) byte {
	sum := 0
	for i, w := range idWeights {
		sum += int(b[i]-'0') * w
	}
	return "10X98765432"[sum%11]
}

// neverEnrolled takes a few dozen children (more often rural or poor) out of
// school: status never_enrolled, no school, grade or class.
func (g *gen) neverEnrolled() {
	n := count(rates.NeverEnrolled, g.n)
	g.pickChildren(g.r, n, 6, func(i int) float64 {
		if g.status[i] != codeEnrolled || g.bits[i]&bitDisabled != 0 {
			return 0
		}
		w := 1.0
		if g.rural(i) {
			w += 2
		}
		if g.bits[i]&bitPoor != 0 {
			w += 2
		}
		if g.bits[i]&bitLeftBehind != 0 {
			w++
		}
		return w
	}, func(i int) {
		if g.attend == nil {
			g.attend = map[int]int{}
		}
		g.attend[i] = g.nearestSchool(i, int(g.grade[i]))
		g.status[i], g.grade[i] = codeNeverEnrolled, 0
		g.school[i] = -1
	})
}

// nearestSchool is the school a child of grade in child i's village should
// attend: the village's own school when it teaches the grade, else the
// first school of the township that does (its central school). It draws
// nothing at random.
func (g *gen) nearestSchool(i, grade int) int {
	v := &g.vil[g.vilOf[i]]
	if v.home >= 0 && grade >= g.sch[v.home].lo && grade <= g.sch[v.home].hi {
		return v.home
	}
	tw := &g.town[v.town]
	if grade >= 7 && len(tw.openJ) > 0 {
		return tw.openJ[0]
	}
	return tw.openP[0]
}

// pickChildren picks n distinct children, child i with a chance
// proportional to weight(i) (at most wmax; 0 excludes the child), and calls
// take for each. It gives up after many misses, so a tiny district may get
// fewer.
func (g *gen) pickChildren(r *rand.Rand, n int, wmax float64, weight func(int) float64, take func(int)) {
	total := g.n
	for tries := 0; n > 0 && tries < 1000*(n+total); tries++ {
		i := r.IntN(total)
		if w := weight(i); w > 0 && r.Float64()*wmax < w {
			take(i)
			n--
		}
	}
}

// classes numbers the classes: per school and grade, as many as the class
// size needs (one at a teaching point), children dealt out in turn.
func (g *gen) classes() {
	counts := make([]int32, 10*len(g.sch))
	for i, s := range g.school {
		if s >= 0 {
			counts[10*int(s)+int(g.grade[i])]++
		}
	}
	classes := make([]int32, len(counts))
	for slot, c := range counts {
		size := int32(classSize)
		switch g.sch[slot/10].typ {
		case store.SchoolTeachingPoint:
			size = math.MaxInt32
		case store.SchoolJunior:
			size = classSizeJunior
		case store.SchoolSpecial:
			size = classSizeSpec
		}
		classes[slot] = min(max((c+size-1)/size, 1), maxClasses)
	}
	next := make([]int32, len(counts))
	for i, s := range g.school {
		if s >= 0 {
			slot := 10*int(s) + int(g.grade[i])
			g.class[i] = uint8(next[slot]%classes[slot]) + 1
			next[slot]++
		}
	}
}

// rural reports whether child i lives outside the district seat.
func (g *gen) rural(i int) bool { return !g.town[g.vil[g.vilOf[i]].town].urban }

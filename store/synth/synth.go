// Package synth generates a deterministic synthetic district for `baoxue
// demo`: townships, villages and communities, villager groups, schools,
// school-age children with their households, guardians and key-group flags
// (R1–R3), a few dozen status changes (R6), and example users.
//
// The district is modelled on 柳江区 (柳州市, 广西): its eight towns, weighted by
// their residents in the 2020 census bulletin, about 92 villages and 26
// communities, about 100 schools and 65,000 children, 70.71% Zhuang. All else
// is invented. The codes follow the national patterns (9-digit townships,
// 12-digit villages, 10-digit school identifiers) but are synthetic, not the
// real national codes; the names of villages, communities, schools and
// people are made up; the ID numbers are well-formed (GB 11643 check digit)
// but belong to nobody.
//
// Generate is deterministic: the same Config always gives the same District
// (math/rand/v2 PCG streams seeded from Config.Seed; no clock, no map
// order). The structure (townships to schools) depends only on the seed,
// not on the number of children. The children are in the school year that
// starts on ReferenceDate: a child in grade g is g+5 or g+6 years old on
// that day.
package synth

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"baoxue/store"
)

// ReferenceDate is the first day of the school year the children are in.
const ReferenceDate = "2026-09-01"

const referenceYear = 2026

// Defaults and limits of Config.
const (
	DefaultStudents     = 65000
	DefaultDistrictCode = "450206"
	DefaultDistrictName = "柳江区"
	// MaxStudents bounds Config.Students: ID numbers need a free sequence
	// number per birth date and gender.
	MaxStudents = 2_000_000
)

// ErrConfig is returned (wrapped, with the field named) for an invalid Config.
var ErrConfig = errors.New("invalid synth config")

// Config selects a synthetic district. Zero fields take their defaults.
type Config struct {
	Seed         int64  // the same seed gives the same district
	Students     int    // number of children; 0 means DefaultStudents
	DistrictCode string // 6-digit region code; "" means DefaultDistrictCode
	DistrictName string // "" means DefaultDistrictName
	// Today (YYYY-MM-DD), when set, brings the cases up to that day
	// (upToDate): the demo passes the day it is loaded.
	Today string
}

// DefaultConfig returns the demo district: seed 1, 65,000 children, 柳江区.
func DefaultConfig() Config {
	return Config{Seed: 1, Students: DefaultStudents, DistrictCode: DefaultDistrictCode, DistrictName: DefaultDistrictName}
}

func (c Config) withDefaults() Config {
	if c.Students == 0 {
		c.Students = DefaultStudents
	}
	if c.DistrictCode == "" {
		c.DistrictCode = DefaultDistrictCode
	}
	if c.DistrictName == "" {
		c.DistrictName = DefaultDistrictName
	}
	return c
}

// Validate checks the config, zero fields taking their defaults. Errors wrap
// ErrConfig and name the field.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Students < 0 || c.Students > MaxStudents {
		return fmt.Errorf("%w: students: %d is not between 0 and %d", ErrConfig, c.Students, MaxStudents)
	}
	if len(c.DistrictCode) != 6 || !allDigits(c.DistrictCode) {
		return fmt.Errorf("%w: district code: %q is not 6 digits", ErrConfig, c.DistrictCode)
	}
	if strings.TrimSpace(c.DistrictName) == "" {
		return fmt.Errorf("%w: district name: blank", ErrConfig)
	}
	if _, err := time.Parse(time.DateOnly, c.Today); c.Today != "" && (err != nil || c.Today < ReferenceDate) {
		return fmt.Errorf("%w: today: %q is not a date YYYY-MM-DD on or after %s", ErrConfig, c.Today, ReferenceDate)
	}
	return nil
}

// District is a generated district as plain store values, in the order they
// are to be registered: parents before children.
type District struct {
	District      store.District
	Townships     []store.Township
	Villages      []store.Village // communities (…001…) then villages (…201…), per township
	Groups        []store.Group
	Schools       []store.School
	Students      []store.StudentFields // Status is enrolled, home_taught or never_enrolled
	StatusChanges []StatusChange        // in date order (but a dropout's moves with its case: Config.Today)
	Users         []UserSpec            // example users besides the admin
	Assignments   []AssignmentSpec      // responsibility (双线四包): most of the tree, a few gaps (cases.go)
	Cases         []CaseSpec            // a case for every dropout and a few never-enrolled children (cases.go)
}

// StatusChange is a change of status to record after the children are
// registered. Change.ID is empty: the caller fills in the id the register
// gave Students[StudentIndex].
type StatusChange struct {
	StudentIndex int
	Change       store.StudentStatus
}

// UserSpec is an example user. Scope is in its written form (district,
// township:CODE, school:CODE or class:SCHOOL/GRADE/CLASS; see
// store.ParseScope). The password is the caller's choice.
type UserSpec struct {
	Username    string
	DisplayName string
	Role        string // store.RoleOfficer, RoleTeacher or RoleViewer
	Line        string // store.LineEducation or LineGovernment
	Scope       string
}

// Generate builds the district cfg selects. It is safe for concurrent use
// and returns an error wrapping ErrConfig for an invalid config.
func Generate(cfg Config) (*District, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := newGen(cfg)
	g.structure()
	if err := g.children(); err != nil {
		return nil, err
	}
	g.neverEnrolled()
	g.classes()
	g.finish()
	g.statusChanges()
	g.users()
	// Cases and assignments draw from their own stream, so that they leave
	// everything above as it was.
	rk := rand.New(rand.NewPCG(uint64(cfg.Seed), 0xd6e8feb86659fd93))
	g.responsibility(rk)
	g.cases(rk)
	g.upToDate()
	g.linkUsers()
	return g.d, nil
}

// Flag bits, in the generator's own order; finish writes them in the order
// of store.Flags.
const (
	bitPoor uint8 = 1 << iota
	bitLowIncome
	bitLeftBehind
	bitMigrant
	bitDisabled
	bitMinority
	bitRemote
	bitLearning
)

// flagBit is the bit of flag f (0 for a flag the generator does not set).
func flagBit(f string) uint8 {
	switch f {
	case store.FlagRegisteredPoor:
		return bitPoor
	case store.FlagLowIncome:
		return bitLowIncome
	case store.FlagLeftBehind:
		return bitLeftBehind
	case store.FlagMigrant:
		return bitMigrant
	case store.FlagDisabled:
		return bitDisabled
	case store.FlagEthnicMinority:
		return bitMinority
	case store.FlagRemoteArea:
		return bitRemote
	case store.FlagLearningDifficulty:
		return bitLearning
	}
	return 0
}

type gen struct {
	cfg Config
	d   *District
	rs  *rand.Rand // structure
	r   *rand.Rand // children
	rc  *rand.Rand // status changes

	town   []townInfo
	vil    []villageInfo
	sch    []schoolInfo
	seat   int       // the urban town, or -1
	groupW []float64 // per group: its share of its village's children
	// specialSchool is the special school's index, or -1.
	specialSchool int

	// Weighted tables.
	gradeW     wtable
	ethW       wtable
	surnameW   []wtable
	workW      wtable
	disW       wtable
	placeW     wtable
	dropW      wtable
	dropOlderW wtable
	suspW      wtable

	// ID numbers: birth dates from cohort[0][0] on, a YYYYMMDD per day.
	dates    []byte
	cohort   [9][2]int // per grade: first day, end day (exclusive)
	idCount  []uint16  // per day and sex
	idOffset []uint16  // per day

	// Per child.
	bits   []uint8
	hhOf   []int32
	vilOf  []int16
	school []int16     // -1: none
	attend map[int]int // never-enrolled child → the school it should attend (nearestSchool)
	hh     []household
	guards []store.Guardian // households' guardians
	hhSeq  []int            // per town
	povSeq int
	buf    []byte
}

type townInfo struct {
	code         string
	urban        bool
	villages     []int
	openP, openJ []int
	openPW       wtable
	openJW       wtable
	center       int
}

type villageInfo struct {
	town      int
	code      string
	stem      string
	community bool
	remote    bool
	weight    float64
	home      int // the school named after the village, or -1
	homeShare float64
	groups    []int
}

type schoolInfo struct {
	town   int
	typ    string
	lo, hi int
}

type household struct {
	no         string
	surname    string
	eth        uint8
	kids       uint8
	guardN     uint8
	bits       uint8
	guardStart int32
	details    store.FlagDetails
}

func newGen(cfg Config) *gen {
	seed := uint64(cfg.Seed)
	g := &gen{
		cfg:           cfg,
		d:             &District{District: store.District{Code: cfg.DistrictCode, Name: cfg.DistrictName}},
		rs:            rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		r:             rand.New(rand.NewPCG(seed, 0xbf58476d1ce4e5b9)),
		rc:            rand.New(rand.NewPCG(seed, 0x94d049bb133111eb)),
		seat:          -1,
		specialSchool: -1,
	}
	g.gradeW = newWTable(gradeWeights[:])
	ew := make([]float64, len(ethnicities))
	for i, e := range ethnicities {
		ew[i] = e.W
		g.surnameW = append(g.surnameW, choiceTable(e.Surnames))
	}
	g.ethW = newWTable(ew)
	g.workW = choiceTable(workplaces)
	g.disW = choiceTable(disabilityCategories)
	g.placeW = choiceTable(placements)
	g.dropW = choiceTable(dropoutReasons)
	g.dropOlderW = choiceTable(append(slices.Clone(dropoutReasons), dropoutReasonsOlder...))
	g.suspW = choiceTable(suspendReasons)

	// Birth cohorts: grade g was born from (Y-g-6)-09-01 to (Y-g-5)-08-31.
	day0 := time.Date(referenceYear-15, 9, 1, 0, 0, 0, 0, time.UTC)
	dayEnd := time.Date(referenceYear-6, 9, 1, 0, 0, 0, 0, time.UTC)
	days := int(dayEnd.Sub(day0).Hours()/24 + 0.5)
	g.dates = make([]byte, 0, 8*days)
	for i := range days {
		g.dates = day0.AddDate(0, 0, i).AppendFormat(g.dates, "20060102")
	}
	for gr := 1; gr <= 9; gr++ {
		lo := time.Date(referenceYear-gr-6, 9, 1, 0, 0, 0, 0, time.UTC)
		hi := time.Date(referenceYear-gr-5, 9, 1, 0, 0, 0, 0, time.UTC)
		g.cohort[gr-1] = [2]int{int(lo.Sub(day0).Hours()/24 + 0.5), int(hi.Sub(day0).Hours()/24 + 0.5)}
	}
	g.idCount = make([]uint16, 2*days)
	g.idOffset = make([]uint16, days)
	return g
}

// structure makes the townships, villages, groups and schools.
func (g *gen) structure() {
	d, rs := g.d, g.rs
	used := make(map[string]bool) // place-name stems already taken (membership only)
	for _, t := range towns {
		used[strings.TrimSuffix(t.Name, "镇")] = true
	}
	var groups []float64
	for ti := range towns {
		t := &towns[ti]
		code := g.cfg.DistrictCode + strconv.Itoa(100+ti)
		d.Townships = append(d.Townships, store.Township{Code: code, Name: t.Name})
		tw := townInfo{code: code, urban: t.Urban}
		if t.Urban && g.seat < 0 {
			g.seat = ti
		}

		// Villages: communities …001…, administrative villages …201….
		var plain []int // administrative villages
		var comms []int // communities but the first
		for k := range t.Communities + t.Villages {
			community := k < t.Communities
			var stem, name, vcode string
			if community {
				if k == 0 {
					stem = strings.TrimSuffix(t.Name, "镇")
				} else {
					stem = g.pickUnused(used, func() string { return communityNames[rs.IntN(len(communityNames))] })
				}
				name = stem + "社区"
				vcode = code + pad3(1+k)
			} else {
				stem = g.pickUnused(used, func() string {
					a, b := placeFirst[rs.IntN(len(placeFirst))], placeSecond[rs.IntN(len(placeSecond))]
					if a == b {
						return ""
					}
					return a + b
				})
				name = stem + "村"
				vcode = code + pad3(201+k-t.Communities)
			}
			kind := store.KindVillage
			w := 1.0
			if community {
				kind = store.KindCommunity
				w = t.CommunityWeight
			}
			vi := len(g.vil)
			d.Villages = append(d.Villages, store.Village{Code: vcode, Name: name, TownshipCode: code, Kind: kind})
			v := villageInfo{town: ti, code: vcode, stem: stem, community: community, home: -1,
				weight: w * (0.6 + 0.8*rs.Float64())}
			nGroups := 4 + rs.IntN(9)
			word := "村民小组"
			if community {
				word = "居民小组"
			}
			for n := 1; n <= nGroups; n++ {
				v.groups = append(v.groups, len(d.Groups))
				d.Groups = append(d.Groups, store.Group{Code: vcode + pad3(n), Name: "第" + numerals[n] + word, VillageCode: vcode})
				groups = append(groups, 0.5+rs.Float64())
			}
			g.vil = append(g.vil, v)
			tw.villages = append(tw.villages, vi)
			if community {
				if k > 0 {
					comms = append(comms, vi)
				}
			} else {
				plain = append(plain, vi)
			}
		}
		share := rates.RemoteVillages.Rural
		if t.Urban {
			share = rates.RemoteVillages.Urban
		}
		rs.Shuffle(len(plain), func(i, j int) { plain[i], plain[j] = plain[j], plain[i] })
		for _, vi := range plain[:int(math.Round(share*float64(len(plain))))] {
			g.vil[vi].remote = true
		}
		rs.Shuffle(len(plain), func(i, j int) { plain[i], plain[j] = plain[j], plain[i] })
		rs.Shuffle(len(comms), func(i, j int) { comms[i], comms[j] = comms[j], comms[i] })

		// Schools.
		var pw, jw []float64
		add := func(name, typ string) int {
			si := len(g.sch)
			lo, hi := store.GradeRange(typ)
			g.sch = append(g.sch, schoolInfo{town: ti, typ: typ, lo: lo, hi: hi})
			d.Schools = append(d.Schools, store.School{Code: "21" + g.cfg.DistrictCode + pad2(si+1), Name: name, Type: typ, TownshipCode: code})
			return si
		}
		open := func(si int, p, j float64) {
			if p > 0 {
				tw.openP, pw = append(tw.openP, si), append(pw, p)
			}
			if j > 0 {
				tw.openJ, jw = append(tw.openJ, si), append(jw, j)
			}
		}
		home := func(vi, si int, share float64) {
			g.vil[vi].home, g.vil[vi].homeShare = si, share
		}
		tw.center = add(t.Name+"中心小学", store.SchoolPrimary)
		open(tw.center, weightCentral, 0)
		for n := 1; n <= t.UrbanPrimaries; n++ {
			open(add(t.Name+"第"+numerals[n]+"小学", store.SchoolPrimary), weightUrban, 0)
		}
		next := 0 // into plain
		for range t.VillagePrimaries {
			vi := plain[next]
			next++
			home(vi, add(t.Name+g.vil[vi].stem+"小学", store.SchoolPrimary), homeVillageP)
		}
		for range t.TeachingPoints {
			vi := plain[next]
			next++
			home(vi, add(t.Name+g.vil[vi].stem+"教学点", store.SchoolTeachingPoint), homeTeachingPt)
		}
		for n := 1; n <= t.Juniors; n++ {
			name := t.Name + "初级中学"
			if t.Juniors > 1 {
				name = t.Name + "第" + numerals[n] + "初级中学"
			}
			open(add(name, store.SchoolJunior), 0, weightJunior)
		}
		for range t.NineYear {
			var vi int
			if t.Urban && len(comms) > 0 {
				vi, comms = comms[0], comms[1:]
			} else {
				vi = plain[next]
				next++
			}
			si := add(t.Name+g.vil[vi].stem+"九年一贯制学校", store.SchoolNineYear)
			home(vi, si, homeNineYear)
			open(si, weightNineYear, weightNineYear)
		}
		if t.Special {
			g.specialSchool = add(g.cfg.DistrictName+"特殊教育学校", store.SchoolSpecial)
		}
		tw.openPW, tw.openJW = newWTable(pw), newWTable(jw)
		g.town = append(g.town, tw)
	}
	g.groupW = groups
}

// pickUnused draws names until one is new, and marks it used.
func (g *gen) pickUnused(used map[string]bool, draw func() string) string {
	for {
		s := draw()
		if s != "" && !used[s] {
			used[s] = true
			return s
		}
	}
}

// children makes the children, household by household, villager group by
// villager group: the district's children are apportioned to towns by
// residents, to villages and groups by their weights.
func (g *gen) children() error {
	n := g.cfg.Students
	r, d := g.r, g.d
	for i := range g.idOffset {
		g.idOffset[i] = uint16(r.IntN(500))
	}
	d.Students = make([]store.StudentFields, 0, n)
	g.bits = make([]uint8, 0, n)
	g.hhOf = make([]int32, 0, n)
	g.vilOf = make([]int16, 0, n)
	g.school = make([]int16, 0, n)
	g.hh = make([]household, 0, n*3/4)
	g.guards = make([]store.Guardian, 0, n*3/2)
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

// household makes a new household in town ti and returns its index.
func (g *gen) household(ti int) int {
	r := g.r
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
	g.d.Students = append(g.d.Students, store.StudentFields{
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
	})
	g.bits = append(g.bits, bits)
	g.hhOf = append(g.hhOf, int32(hi))
	g.vilOf = append(g.vilOf, int16(vi))
	g.school = append(g.school, int16(school))
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
	n := count(rates.NeverEnrolled, len(g.d.Students))
	g.pickChildren(g.r, n, 6, func(i int) float64 {
		s := &g.d.Students[i]
		if s.Status != store.StatusEnrolled || g.bits[i]&bitDisabled != 0 {
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
		s := &g.d.Students[i]
		if g.attend == nil {
			g.attend = map[int]int{}
		}
		g.attend[i] = g.nearestSchool(i, s.Grade)
		s.Status, s.Grade = store.StatusNeverEnrolled, 0
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
	total := len(g.d.Students)
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
			counts[10*int(s)+g.d.Students[i].Grade]++
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
			slot := 10*int(s) + g.d.Students[i].Grade
			g.d.Students[i].Class = int(next[slot]%classes[slot]) + 1
			next[slot]++
		}
	}
}

// finish fills in school codes, student numbers, flags (in the order of
// store.Flags) and guardians. Flags and guardians are carved from two
// slabs, each child's slice with its own capacity.
func (g *gen) finish() {
	var order []uint8
	for _, f := range store.Flags {
		order = append(order, flagBit(f))
	}
	nFlags, nGuards := 0, 0
	for i := range g.d.Students {
		for _, b := range order {
			if g.bits[i]&b != 0 {
				nFlags++
			}
		}
		nGuards += int(g.hh[g.hhOf[i]].guardN)
	}
	flags := make([]string, 0, nFlags)
	guards := make([]store.Guardian, 0, nGuards)
	for i := range g.d.Students {
		s := &g.d.Students[i]
		if si := g.school[i]; si >= 0 {
			s.SchoolCode = g.d.Schools[si].Code
			s.StudentNo = "G" + s.IDNumber
		}
		start := len(flags)
		for k, b := range order {
			if g.bits[i]&b != 0 {
				flags = append(flags, store.Flags[k])
			}
		}
		if len(flags) > start {
			s.Flags = flags[start:len(flags):len(flags)]
		}
		h := &g.hh[g.hhOf[i]]
		start = len(guards)
		guards = append(guards, g.guards[h.guardStart:h.guardStart+int32(h.guardN)]...)
		s.Guardians = guards[start:len(guards):len(guards)]
	}
}

// rural reports whether child i lives outside the district seat.
func (g *gen) rural(i int) bool { return !g.town[g.vil[g.vilOf[i]].town].urban }

// Status changes.
var (
	changeFrom = time.Date(referenceYear, 3, 1, 0, 0, 0, 0, time.UTC)
	changeTo   = time.Date(referenceYear, 11, 20, 0, 0, 0, 0, time.UTC)
	summerFrom = time.Date(referenceYear, 7, 15, 0, 0, 0, 0, time.UTC)
	summerTo   = time.Date(referenceYear, 8, 31, 0, 0, 0, 0, time.UTC)
	graduation = time.Date(referenceYear, 7, 1, 0, 0, 0, 0, time.UTC)
	termStarts = []time.Time{time.Date(referenceYear, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(referenceYear+1, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(referenceYear+1, 9, 1, 0, 0, 0, 0, time.UTC)}
	// changeKinds: each change, its rate, and the largest weight a child
	// can have for it in statusChanges.
	changeKinds = []struct {
		status string
		rate   float64
		wmax   float64
	}{
		{store.StatusDroppedOut, rates.DroppedOut, 3 * 2 * 2 * 3 * 1.5},
		{store.StatusSuspended, rates.Suspended, 1},
		{store.StatusTransferredOut, rates.TransferredOut, 4},
		{store.StatusGraduated, rates.Graduated, 1},
		{store.StatusEmigrated, rates.Emigrated, 1},
	}
)

// statusChanges picks a few dozen enrolled children whose status changes
// during the year: dropouts (more often in the focus grades and among
// left-behind, poor and struggling children), suspensions, transfers out
// (more often migrant children), graduations (grade 9) and emigrations.
func (g *gen) statusChanges() {
	rc := g.rc
	n := len(g.d.Students)
	taken := make([]bool, n)
	for _, ck := range changeKinds {
		kind := ck.status
		g.pickChildren(rc, count(ck.rate, n), ck.wmax, func(i int) float64 {
			s := &g.d.Students[i]
			if taken[i] || s.Status != store.StatusEnrolled {
				return 0
			}
			b := g.bits[i]
			switch kind {
			case store.StatusDroppedOut:
				w := dropoutGrade[s.Grade-1]
				if b&bitLeftBehind != 0 {
					w *= 2
				}
				if b&(bitPoor|bitLowIncome) != 0 {
					w *= 2
				}
				if b&bitLearning != 0 {
					w *= 3
				}
				if g.rural(i) {
					w *= 1.5
				}
				return w
			case store.StatusTransferredOut:
				if b&bitMigrant != 0 {
					return 4
				}
			case store.StatusGraduated:
				if s.Grade != 9 {
					return 0
				}
			}
			return 1
		}, func(i int) {
			taken[i] = true
			g.d.StatusChanges = append(g.d.StatusChanges, StatusChange{StudentIndex: i, Change: g.change(i, kind)})
		})
	}
	slices.SortFunc(g.d.StatusChanges, func(a, b StatusChange) int {
		return cmp.Or(strings.Compare(a.Change.Date, b.Change.Date), cmp.Compare(a.StudentIndex, b.StudentIndex))
	})
}

// change makes the status change of child i to status.
func (g *gen) change(i int, status string) store.StudentStatus {
	rc := g.rc
	s := &g.d.Students[i]
	c := store.StudentStatus{Status: status}
	var date time.Time
	switch status {
	case store.StatusDroppedOut:
		date = g.schoolDay(changeFrom, changeTo, true)
		if s.Grade >= 8 {
			c.Reason = g.dropOlderChoice()
		} else {
			c.Reason = dropoutReasons[g.dropW.pick(rc)].S
		}
	case store.StatusSuspended:
		date = g.schoolDay(changeFrom, changeTo, true)
		c.Reason = suspendReasons[g.suspW.pick(rc)].S
		back := date.AddDate(0, 0, 90)
		for _, t := range termStarts {
			if !t.Before(back) {
				c.ExpectedReturn = t.Format(time.DateOnly)
				break
			}
		}
	case store.StatusTransferredOut:
		date = g.schoolDay(changeFrom, changeTo, false)
		kind := "小学"
		if s.Grade >= 7 {
			kind = "中学"
		}
		var place string
		switch x := rc.Float64(); {
		case g.bits[i]&bitMigrant != 0:
			place, c.Reason = transferHome[rc.IntN(len(transferHome))], reasonTransferHome
		case x < 0.6:
			place, c.Reason = transferWork[rc.IntN(len(transferWork))], reasonTransferWork
		default:
			place, c.Reason = transferNearby[rc.IntN(len(transferNearby))], reasonTransferNearby
		}
		c.Destination = place + "第" + numerals[1+rc.IntN(8)] + kind
	case store.StatusGraduated:
		date = g.schoolDay(graduation, graduation.AddDate(0, 0, 9), false)
		c.Reason = reasonGraduated
	case store.StatusEmigrated:
		date = g.schoolDay(changeFrom, changeTo, false)
		c.Reason = reasonEmigrated
		c.Destination = emigrations[rc.IntN(len(emigrations))]
	}
	c.Date = date.Format(time.DateOnly)
	return c
}

func (g *gen) dropOlderChoice() string {
	i := g.dropOlderW.pick(g.rc)
	if i < len(dropoutReasons) {
		return dropoutReasons[i].S
	}
	return dropoutReasonsOlder[i-len(dropoutReasons)].S
}

// schoolDay draws a weekday from..to (inclusive), outside the summer
// holiday if term is set. A Saturday moves to Friday, a Sunday to Monday;
// from and to must not be a weekend day pair at the range's edges.
func (g *gen) schoolDay(from, to time.Time, term bool) time.Time {
	days := int(to.Sub(from).Hours()/24+0.5) + 1
	for {
		d := from.AddDate(0, 0, g.rc.IntN(days))
		switch d.Weekday() {
		case time.Saturday:
			d = d.AddDate(0, 0, -1)
		case time.Sunday:
			d = d.AddDate(0, 0, 1)
		}
		if d.Before(from) || d.After(to) || term && !d.Before(summerFrom) && !d.After(summerTo) {
			continue
		}
		return d
	}
}

// users makes the example users: a bureau officer, two township officers
// (government line), the head of the district seat's central primary, a head
// teacher of one of its grade-6 classes, and a read-only inspector.
func (g *gen) users() {
	d := g.d
	seat := max(g.seat, 0)
	center := d.Schools[g.town[seat].center]
	town := d.Townships[seat]
	class := 1
	for i, s := range d.Students {
		if g.school[i] == int16(g.town[seat].center) && s.Grade == 6 {
			class = s.Class
			break
		}
	}
	d.Users = []UserSpec{
		{Username: "jiaoyuju", DisplayName: "韦志明（区教育局教育管理股）", Role: store.RoleOfficer, Line: store.LineEducation, Scope: store.DistrictScope.String()},
		{Username: "labao", DisplayName: "覃建华（" + town.Name + "人民政府）", Role: store.RoleOfficer, Line: store.LineGovernment,
			Scope: store.Scope{Kind: store.ScopeTownship, Code: town.Code}.String()},
	}
	if len(d.Townships) > 1 && seat != 1 {
		t := d.Townships[1]
		d.Users = append(d.Users, UserSpec{Username: "chuanshan", DisplayName: "潘德荣（" + t.Name + "人民政府）", Role: store.RoleOfficer,
			Line: store.LineGovernment, Scope: store.Scope{Kind: store.ScopeTownship, Code: t.Code}.String()})
	}
	d.Users = append(d.Users,
		UserSpec{Username: "xiaozhang", DisplayName: "蓝秀英（" + center.Name + "校长）", Role: store.RoleOfficer, Line: store.LineEducation,
			Scope: store.Scope{Kind: store.ScopeSchool, Code: center.Code}.String()},
		UserSpec{Username: "banzhuren", DisplayName: "黄丽娟（" + center.Name + "六年级" + strconv.Itoa(class) + "班班主任）", Role: store.RoleTeacher,
			Line: store.LineEducation, Scope: store.Scope{Kind: store.ScopeClass, Code: center.Code, Grade: 6, Class: class}.String()},
		UserSpec{Username: "dudao", DisplayName: "莫国强（区人民政府教育督导室）", Role: store.RoleViewer, Line: store.LineEducation, Scope: store.DistrictScope.String()},
	)
}

// wtable picks an index with a chance proportional to its weight.
type wtable struct{ cum []float64 }

func newWTable(w []float64) wtable {
	cum := make([]float64, len(w))
	sum := 0.0
	for i, x := range w {
		sum += x
		cum[i] = sum
	}
	return wtable{cum: cum}
}

func choiceTable(cs []choice) wtable {
	w := make([]float64, len(cs))
	for i, c := range cs {
		w[i] = c.W
	}
	return newWTable(w)
}

func (t wtable) pick(r *rand.Rand) int {
	x := r.Float64() * t.cum[len(t.cum)-1]
	lo, hi := 0, len(t.cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if t.cum[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

func (s split) of(rural bool) float64 {
	if rural {
		return s.Rural
	}
	return s.Urban
}

// apportion divides total by weights with the largest-remainder method
// (ties to the lower index), so that the parts add up to total exactly.
func apportion(total int, w []float64) []int {
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	out := make([]int, len(w))
	rem := make([]float64, len(w))
	left := total
	for i, x := range w {
		q := float64(total) * x / sum
		out[i] = int(q)
		rem[i] = q - float64(out[i])
		left -= out[i]
	}
	idx := make([]int, len(w))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(rem[b], rem[a]) })
	for k := 0; left > 0; k++ {
		out[idx[k%len(idx)]]++
		left--
	}
	return out
}

// count is the number of n children a rate gives.
func count(rate float64, n int) int { return int(math.Round(rate * float64(n))) }

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func appendPad(b []byte, n, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], int64(n), 10)
	for range width - len(s) {
		b = append(b, '0')
	}
	return append(b, s...)
}

func pad(n, width int) string { return string(appendPad(nil, n, width)) }
func pad2(n int) string       { return pad(n, 2) }
func pad3(n int) string       { return pad(n, 3) }

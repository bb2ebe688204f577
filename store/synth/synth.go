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
// order). Plan is Generate without the children's records, which
// District.Children makes again from the seed, one at a time (replay.go):
// the demo loads 1,000,000 children without holding them. The structure (townships to schools) depends only on the seed,
// not on the number of children. The children are in the school year that
// starts on ReferenceDate: a child in grade g is g+5 or g+6 years old on
// that day.
package synth

import (
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

	// What the generator keeps of each child (replay.go), and the config
	// that makes the children's records again: Plan leaves Students nil.
	cols *columns
	cfg  Config
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
	d, err := Plan(cfg)
	if err != nil {
		return nil, err
	}
	students := make([]store.StudentFields, 0, d.NumStudents())
	for _, s := range d.Children() {
		students = append(students, s)
	}
	d.Students = students
	return d, nil
}

// Plan builds the district cfg selects as Generate does, but for the
// children's records: Students is nil, and Children makes them again, one
// at a time, from the seed. A district of 1,000,000 children held as
// records is about 600 MB; planned, about 8 MB (replay.go).
func Plan(cfg Config) (*District, error) {
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
	g.statusChanges()
	g.users()
	// Cases and assignments draw from their own stream, so that they leave
	// everything above as it was.
	rk := rand.New(rand.NewPCG(uint64(cfg.Seed), 0xd6e8feb86659fd93))
	g.responsibility(rk)
	g.cases(rk)
	g.upToDate()
	g.linkUsers()
	g.d.cols, g.d.cfg = g.columns, cfg
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
	*columns
	attend map[int]int // never-enrolled child → the school it should attend (nearestSchool)
	// The household being filled and its guardians: children() makes a
	// household's children one after the other, so no other is kept.
	hh     []household
	guards []store.Guardian
	hhSeq  []int // per town
	povSeq int
	buf    []byte
	// emit, when set, receives each child's record as children() makes it
	// again from the seed (replay.go) instead of its columns being kept.
	emit func(i int, s store.StudentFields, guardians []store.Guardian) bool
	n    int // children made so far
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
		columns:       &columns{},
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
	used := make(map[string]bool) // place-name stems already taken (membership only)
	for _, t := range towns {
		used[strings.TrimSuffix(t.Name, "镇")] = true
	}
	var groups []float64
	for ti := range towns {
		t := &towns[ti]
		code := g.cfg.DistrictCode + strconv.Itoa(100+ti)
		g.d.Townships = append(g.d.Townships, store.Township{Code: code, Name: t.Name})
		tw := townInfo{code: code, urban: t.Urban}
		if t.Urban && g.seat < 0 {
			g.seat = ti
		}
		plain, comms := g.villages(ti, &tw, used, &groups)
		g.schools(ti, &tw, plain, comms)
		g.town = append(g.town, tw)
	}
	g.groupW = groups
}

// villages makes town ti's communities and villages with their groups
// (weights appended to groups), marks the remote ones, and returns the
// administrative villages and the communities but the first, shuffled.
func (g *gen) villages(ti int, tw *townInfo, used map[string]bool, groups *[]float64) (plain, comms []int) {
	d, rs, t, code := g.d, g.rs, &towns[ti], tw.code
	// Villages: communities …001…, administrative villages …201….
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
			*groups = append(*groups, 0.5+rs.Float64())
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

	return plain, comms
}

// schools makes town ti's schools: its central and urban primaries, the
// village primaries and teaching points in plain's first villages, junior
// highs and nine-year schools, and the district's special school.
func (g *gen) schools(ti int, tw *townInfo, plain, comms []int) {
	d, t, code := g.d, &towns[ti], tw.code
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

package synth

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"baoxue/store"
)

func mustGenerate(t testing.TB, cfg Config) *District {
	t.Helper()
	d, err := Generate(cfg)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", cfg, err)
	}
	return d
}

// demo is the default district, generated once per test that needs it.
func demo(t testing.TB) *District { return mustGenerate(t, DefaultConfig()) }

func TestDeterministic(t *testing.T) {
	cfg := Config{Seed: 7, Students: 20000}
	a, b := mustGenerate(t, cfg), mustGenerate(t, cfg)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different districts (-first +second):\n%s", cmp.Diff(a, b))
	}
	c := mustGenerate(t, Config{Seed: 8, Students: 20000})
	if reflect.DeepEqual(a.Students, c.Students) {
		t.Error("seeds 7 and 8 gave the same children")
	}
	if reflect.DeepEqual(a.Villages, c.Villages) {
		t.Error("seeds 7 and 8 gave the same villages")
	}
	if reflect.DeepEqual(a.StatusChanges, c.StatusChanges) {
		t.Error("seeds 7 and 8 gave the same status changes")
	}
}

func TestStructureDependsOnlyOnSeed(t *testing.T) {
	a := mustGenerate(t, Config{Seed: 3, Students: 500})
	b := mustGenerate(t, Config{Seed: 3, Students: 30000})
	for _, c := range []struct {
		name string
		a, b any
	}{
		{"townships", a.Townships, b.Townships},
		{"villages", a.Villages, b.Villages},
		{"groups", a.Groups, b.Groups},
		{"schools", a.Schools, b.Schools},
	} {
		if diff := cmp.Diff(c.a, c.b); diff != "" {
			t.Errorf("%s differ between 500 and 30000 children (-500 +30000):\n%s", c.name, diff)
		}
	}
}

// validID checks an ID number by the definition of GB 11643: the 18
// characters, the last one valued 10 for X, weighted by 2^(17-i) mod 11,
// sum to 1 mod 11.
func validID(id string) bool {
	if len(id) != 18 {
		return false
	}
	sum := 0
	for i := range 18 {
		v := int(id[i] - '0')
		switch {
		case i == 17 && id[i] == 'X':
			v = 10
		case id[i] < '0' || id[i] > '9':
			return false
		}
		w := 1
		for range 17 - i {
			w = w * 2 % 11
		}
		sum += v * w
	}
	return sum%11 == 1
}

func TestValidID(t *testing.T) {
	for _, c := range []struct {
		id   string
		want bool
	}{
		{"11010519491231002X", true}, // the example in GB 11643
		{"440524188001010014", true},
		{"110105194912310021", false},
		{"11010519491231002", false},
		{"1101051949123100XX", false},
	} {
		if got := validID(c.id); got != c.want {
			t.Errorf("validID(%s) = %v, want %v", c.id, got, c.want)
		}
	}
}

// ageOn is the age in whole years on day ref of a child born on birth.
func ageOn(birth, ref time.Time) int {
	age := ref.Year() - birth.Year()
	if ref.Month() < birth.Month() || ref.Month() == birth.Month() && ref.Day() < birth.Day() {
		age--
	}
	return age
}

func TestIDNumbers(t *testing.T) {
	d := demo(t)
	ref, err := time.Parse(time.DateOnly, ReferenceDate)
	if err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]int, len(d.Students))
	for i, s := range d.Students {
		if !validID(s.IDNumber) {
			t.Fatalf("child %d: invalid ID number %q", i, s.IDNumber)
		}
		if j, dup := seen[s.IDNumber]; dup {
			t.Fatalf("children %d and %d share ID number %s", j, i, s.IDNumber)
		}
		seen[s.IDNumber] = i
		if !strings.HasPrefix(s.IDNumber, "450206") {
			t.Errorf("child %d: ID number %s not in region 450206", i, s.IDNumber)
		}
		if s.IDNumber[14:17] == "000" {
			t.Errorf("child %d: ID number %s has sequence 000", i, s.IDNumber)
		}
		male := (s.IDNumber[16]-'0')%2 == 1
		if want := map[bool]string{true: "M", false: "F"}[male]; s.Gender != want {
			t.Errorf("child %d: gender %q, ID number %s says %s", i, s.Gender, s.IDNumber, want)
		}
		birth, err := time.Parse("20060102", s.IDNumber[6:14])
		if err != nil {
			t.Fatalf("child %d: ID number %s: birth date: %v", i, s.IDNumber, err)
		}
		age := ageOn(birth, ref)
		if s.Grade == 0 {
			if age < 6 || age > 15 {
				t.Errorf("child %d not enrolled, aged %d on %s: not school age", i, age, ReferenceDate)
			}
		} else if age != s.Grade+5 && age != s.Grade+6 {
			t.Errorf("child %d in grade %d aged %d on %s (born %s)", i, s.Grade, age, ReferenceDate, birth.Format(time.DateOnly))
		}
	}
}

func TestCounts(t *testing.T) {
	d := demo(t)
	var names []string
	for _, tw := range d.Townships {
		names = append(names, tw.Name)
	}
	want := []string{"拉堡镇", "穿山镇", "进德镇", "百朋镇", "成团镇", "土博镇", "三都镇", "里高镇"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("townships (-want +got):\n%s", diff)
	}
	kinds := map[string]int{}
	for _, v := range d.Villages {
		kinds[v.Kind]++
	}
	if n := len(d.Villages); n < 110 || n > 125 {
		t.Errorf("%d villages and communities, want 110..125", n)
	}
	if kinds[store.KindVillage] != 92 || kinds[store.KindCommunity] != 26 {
		t.Errorf("kinds %v, want 92 villages and 26 communities", kinds)
	}
	if n := len(d.Schools); n < 90 || n > 110 {
		t.Errorf("%d schools, want 90..110", n)
	}
	types := map[string]int{}
	for _, s := range d.Schools {
		types[s.Type]++
	}
	if types[store.SchoolSpecial] != 1 || types[store.SchoolTeachingPoint] < 10 || types[store.SchoolJunior] < 8 ||
		types[store.SchoolNineYear] < 1 || types[store.SchoolPrimary] < 50 {
		t.Errorf("school types %v", types)
	}
	if len(d.Students) != DefaultStudents {
		t.Errorf("%d children, want %d", len(d.Students), DefaultStudents)
	}
	statuses := map[string]int{}
	for _, s := range d.Students {
		statuses[s.Status]++
	}
	if n := statuses[store.StatusNeverEnrolled]; n < 20 || n > 80 {
		t.Errorf("%d never enrolled, want a few dozen", n)
	}
	if n := len(d.StatusChanges); n < 30 || n > 150 {
		t.Errorf("%d status changes, want some dozens", n)
	}
}

func TestReferences(t *testing.T) {
	d := demo(t)
	code := d.District.Code
	if code != "450206" || d.District.Name != "柳江区" {
		t.Errorf("district %+v", d.District)
	}
	towns := map[string]bool{}
	for _, tw := range d.Townships {
		if len(tw.Code) != 9 || !allDigitsT(tw.Code) || !strings.HasPrefix(tw.Code, code) || towns[tw.Code] {
			t.Errorf("township %+v: bad or duplicate code", tw)
		}
		towns[tw.Code] = true
	}
	villages := map[string]store.Village{}
	names := map[string]bool{}
	for _, v := range d.Villages {
		if len(v.Code) != 12 || !allDigitsT(v.Code) || !strings.HasPrefix(v.Code, v.TownshipCode) || !towns[v.TownshipCode] {
			t.Errorf("village %+v: bad code or township", v)
		}
		if _, dup := villages[v.Code]; dup {
			t.Errorf("village code %s twice", v.Code)
		}
		villages[v.Code] = v
		key := v.TownshipCode + v.Name
		if names[key] {
			t.Errorf("village name %s twice in %s", v.Name, v.TownshipCode)
		}
		names[key] = true
		suffix := map[string]string{store.KindVillage: "村", store.KindCommunity: "社区"}[v.Kind]
		if suffix == "" || !strings.HasSuffix(v.Name, suffix) {
			t.Errorf("village %+v: kind and name disagree", v)
		}
	}
	groups := map[string]store.Group{}
	perVillage := map[string]int{}
	for _, g := range d.Groups {
		if len(g.Code) != 15 || !allDigitsT(g.Code) || !strings.HasPrefix(g.Code, g.VillageCode) {
			t.Errorf("group %+v: bad code", g)
		}
		v, ok := villages[g.VillageCode]
		if !ok {
			t.Errorf("group %+v: no village %s", g, g.VillageCode)
		}
		word := map[string]string{store.KindVillage: "村民小组", store.KindCommunity: "居民小组"}[v.Kind]
		if !strings.HasPrefix(g.Name, "第") || !strings.HasSuffix(g.Name, word) {
			t.Errorf("group %+v in %s %s: bad name", g, v.Kind, v.Name)
		}
		if _, dup := groups[g.Code]; dup {
			t.Errorf("group code %s twice", g.Code)
		}
		groups[g.Code] = g
		perVillage[g.VillageCode]++
	}
	for _, v := range d.Villages {
		if n := perVillage[v.Code]; n < 4 || n > 12 {
			t.Errorf("village %s has %d groups, want 4..12", v.Name, n)
		}
	}
	schools := map[string]store.School{}
	central := map[string]int{}
	secondary := map[string]int{}
	for _, s := range d.Schools {
		if len(s.Code) != 10 || !allDigitsT(s.Code) || !towns[s.TownshipCode] || !slices.Contains(store.SchoolTypes, s.Type) {
			t.Errorf("school %+v: bad code, township or type", s)
		}
		if _, dup := schools[s.Code]; dup {
			t.Errorf("school code %s twice", s.Code)
		}
		schools[s.Code] = s
		if strings.HasSuffix(s.Name, "中心小学") {
			central[s.TownshipCode]++
		}
		if _, hi := store.GradeRange(s.Type); hi == 9 && s.Type != store.SchoolSpecial {
			secondary[s.TownshipCode]++
		}
	}
	for tc := range towns {
		if central[tc] != 1 || secondary[tc] < 1 {
			t.Errorf("township %s: %d central primaries, %d junior-level schools", tc, central[tc], secondary[tc])
		}
	}

	ownTown := 0
	enrolled := 0
	classSize := map[string]int{}
	for i, s := range d.Students {
		v, ok := villages[s.VillageCode]
		if !ok {
			t.Fatalf("child %d: no village %q", i, s.VillageCode)
		}
		if g, ok := groups[s.GroupCode]; !ok || g.VillageCode != s.VillageCode {
			t.Fatalf("child %d: group %q not in village %s", i, s.GroupCode, s.VillageCode)
		}
		if !slices.Contains(store.CreateStatuses, s.Status) {
			t.Fatalf("child %d: status %q cannot be registered", i, s.Status)
		}
		if s.Status == store.StatusNeverEnrolled {
			if s.SchoolCode != "" || s.Grade != 0 || s.Class != 0 || s.StudentNo != "" {
				t.Errorf("child %d never enrolled but has school %q grade %d class %d no %q", i, s.SchoolCode, s.Grade, s.Class, s.StudentNo)
			}
			continue
		}
		sc, ok := schools[s.SchoolCode]
		if !ok {
			t.Fatalf("child %d: no school %q", i, s.SchoolCode)
		}
		if lo, hi := store.GradeRange(sc.Type); s.Grade < lo || s.Grade > hi {
			t.Errorf("child %d: grade %d at %s (%s)", i, s.Grade, sc.Name, sc.Type)
		}
		if s.Class < 1 || s.Class > 99 {
			t.Errorf("child %d: class %d", i, s.Class)
		}
		if sc.Type == store.SchoolTeachingPoint && s.Class != 1 {
			t.Errorf("child %d: class %d at teaching point %s", i, s.Class, sc.Name)
		}
		if s.StudentNo != "G"+s.IDNumber {
			t.Errorf("child %d: student number %q", i, s.StudentNo)
		}
		enrolled++
		if sc.TownshipCode == v.TownshipCode {
			ownTown++
		}
		classSize[fmt.Sprintf("%s/%d/%d", sc.Code, s.Grade, s.Class)]++
	}
	if share := float64(ownTown) / float64(enrolled); share < 0.9 {
		t.Errorf("%.1f%% of children at school in their own township, want ≥ 90%%", 100*share)
	}
	for class, n := range classSize {
		if n > 50 {
			t.Errorf("class %s has %d children", class, n)
		}
	}
}

func allDigitsT(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func TestChildFields(t *testing.T) {
	d := demo(t)
	schools := map[string]store.School{}
	for _, s := range d.Schools {
		schools[s.Code] = s
	}
	ethnicities := []string{"壮族", "汉族", "瑶族", "苗族", "侗族", "仫佬族"}
	relations := []string{"父亲", "母亲", "祖父", "祖母", "外祖父", "外祖母"}
	placements := []string{"special_school", "regular_class", "home_teaching", "medical_education"}
	households := map[string]int{}
	for i, s := range d.Students {
		if n := utf8.RuneCountInString(s.Name); n < 2 || n > 3 {
			t.Errorf("child %d: name %q", i, s.Name)
		}
		if !slices.Contains(ethnicities, s.Ethnicity) {
			t.Errorf("child %d: ethnicity %q", i, s.Ethnicity)
		}
		if len(s.Household) != 9 || !allDigitsT(s.Household) {
			t.Errorf("child %d: household %q", i, s.Household)
		}
		households[s.Household]++
		if n := len(s.Guardians); n < 1 || n > 2 {
			t.Errorf("child %d: %d guardians", i, n)
		}
		for _, g := range s.Guardians {
			if !slices.Contains(relations, g.Relation) || utf8.RuneCountInString(g.Name) < 2 || !validPhone(g.Phone) {
				t.Errorf("child %d: guardian %+v", i, g)
			}
		}
		// Flags: known, in the order of store.Flags, no repeats.
		last := -1
		for _, f := range s.Flags {
			k := slices.Index(store.Flags, f)
			if k <= last {
				t.Fatalf("child %d: flags %v not in the order of store.Flags", i, s.Flags)
			}
			last = k
		}
		has := func(f string) bool { return slices.Contains(s.Flags, f) }
		if has(store.FlagEthnicMinority) != (s.Ethnicity != "汉族") {
			t.Errorf("child %d: ethnicity %s, flags %v", i, s.Ethnicity, s.Flags)
		}
		if has(store.FlagLeftBehind) && has(store.FlagMigrant) {
			t.Errorf("child %d: both left-behind and migrant", i)
		}
		dt := s.Details
		if has(store.FlagRegisteredPoor) != (dt.PovertyHouseholdID != "") {
			t.Errorf("child %d: flags %v, poverty household id %q", i, s.Flags, dt.PovertyHouseholdID)
		}
		if has(store.FlagLeftBehind) != (dt.ParentsWorkplace != "") || (dt.ParentsWorkplace != "") != validPhone(dt.ParentsPhone) {
			t.Errorf("child %d: flags %v, parents %q %q", i, s.Flags, dt.ParentsWorkplace, dt.ParentsPhone)
		}
		if has(store.FlagDisabled) != (dt.DisabilityCategory != "") || has(store.FlagDisabled) != slices.Contains(placements, dt.Placement) {
			t.Errorf("child %d: flags %v, disability %q placement %q", i, s.Flags, dt.DisabilityCategory, dt.Placement)
		}
		sc := schools[s.SchoolCode]
		if (sc.Type == store.SchoolSpecial) != (dt.Placement == "special_school" && s.Status != store.StatusNeverEnrolled) {
			t.Errorf("child %d: at %s with placement %q", i, sc.Name, dt.Placement)
		}
		if (s.Status == store.StatusHomeTaught) != (dt.Placement == "home_teaching") {
			t.Errorf("child %d: status %s with placement %q", i, s.Status, dt.Placement)
		}
		if sc.Type == store.SchoolTeachingPoint && !has(store.FlagRemoteArea) {
			t.Errorf("child %d at teaching point %s not flagged remote", i, sc.Name)
		}
	}
	siblings := 0
	for _, n := range households {
		if n > 1 {
			siblings++
		}
	}
	if siblings == 0 || len(households) == len(d.Students) {
		t.Errorf("%d households with siblings among %d", siblings, len(households))
	}
}

func validPhone(p string) bool { return len(p) == 11 && p[0] == '1' && allDigitsT(p) }

func TestFlagRates(t *testing.T) {
	d := demo(t)
	seat := d.Townships[0].Code
	n := float64(len(d.Students))
	count := map[string]int{}
	var seatN, seatLB, ruralLB, seatMigrant int
	for _, s := range d.Students {
		urban := strings.HasPrefix(s.VillageCode, seat)
		if urban {
			seatN++
		}
		for _, f := range s.Flags {
			count[f]++
			switch {
			case f == store.FlagLeftBehind && urban:
				seatLB++
			case f == store.FlagLeftBehind:
				ruralLB++
			case f == store.FlagMigrant && urban:
				seatMigrant++
			}
		}
	}
	for _, c := range []struct {
		flag   string
		lo, hi float64 // percent
	}{
		{store.FlagLeftBehind, 11, 17},
		{store.FlagMigrant, 7, 11},
		{store.FlagRegisteredPoor, 3, 5},
		{store.FlagLowIncome, 2, 4},
		{store.FlagDisabled, 0.3, 0.8},
		{store.FlagEthnicMinority, 70, 76},
		{store.FlagRemoteArea, 10, 20},
		{store.FlagLearningDifficulty, 4, 6},
	} {
		if p := 100 * float64(count[c.flag]) / n; p < c.lo || p > c.hi {
			t.Errorf("%s: %.2f%%, want %.1f..%.1f%%", c.flag, p, c.lo, c.hi)
		}
	}
	urbanLB := float64(seatLB) / float64(seatN)
	rest := float64(ruralLB) / (n - float64(seatN))
	if urbanLB >= rest {
		t.Errorf("left-behind: %.1f%% in the district seat, %.1f%% elsewhere; want more elsewhere", 100*urbanLB, 100*rest)
	}
	if share := float64(seatMigrant) / float64(count[store.FlagMigrant]); share < 0.75 {
		t.Errorf("only %.0f%% of migrant children in the district seat", 100*share)
	}
}

func TestTownShares(t *testing.T) {
	d := demo(t)
	total := 0
	for _, tw := range towns {
		total += tw.Residents
	}
	byTown := map[string]int{}
	for _, s := range d.Students {
		byTown[s.VillageCode[:9]]++
	}
	for i, tw := range d.Townships {
		want := 100 * float64(towns[i].Residents) / float64(total)
		got := 100 * float64(byTown[tw.Code]) / float64(len(d.Students))
		if math.Abs(got-want) > 2 {
			t.Errorf("%s: %.2f%% of children, want %.2f%%", tw.Name, got, want)
		}
	}
}

func TestStatusChanges(t *testing.T) {
	d := demo(t)
	from, to := "2026-03-01", "2026-11-20"
	seen := map[int]bool{}
	kinds := map[string]int{}
	prev := ""
	for _, c := range d.StatusChanges {
		i, ch := c.StudentIndex, c.Change
		if i < 0 || i >= len(d.Students) || seen[i] {
			t.Fatalf("change %+v: bad or repeated student index", c)
		}
		seen[i] = true
		s := d.Students[i]
		if s.Status != store.StatusEnrolled {
			t.Errorf("change %+v of a child registered as %s", c, s.Status)
		}
		if ch.ID != "" {
			t.Errorf("change %+v has an ID", c)
		}
		if _, err := time.Parse(time.DateOnly, ch.Date); err != nil || ch.Date < from || ch.Date > to {
			t.Errorf("change %+v: date outside %s..%s", c, from, to)
		}
		if ch.Date < prev {
			t.Errorf("changes not in date order at %+v", c)
		}
		prev = ch.Date
		kinds[ch.Status]++
		switch ch.Status {
		case store.StatusDroppedOut:
			if ch.Reason == "" {
				t.Errorf("dropout without reason: %+v", c)
			}
		case store.StatusSuspended:
			if ch.Reason == "" || ch.ExpectedReturn <= ch.Date {
				t.Errorf("suspension without reason or return: %+v", c)
			}
			if _, err := time.Parse(time.DateOnly, ch.ExpectedReturn); err != nil {
				t.Errorf("suspension %+v: %v", c, err)
			}
		case store.StatusTransferredOut:
			if ch.Destination == "" {
				t.Errorf("transfer without destination: %+v", c)
			}
		case store.StatusGraduated:
			if s.Grade != 9 {
				t.Errorf("graduation from grade %d: %+v", s.Grade, c)
			}
		case store.StatusEmigrated:
		default:
			t.Errorf("unexpected change %+v", c)
		}
	}
	for _, k := range []string{store.StatusDroppedOut, store.StatusSuspended, store.StatusTransferredOut, store.StatusGraduated, store.StatusEmigrated} {
		if kinds[k] == 0 {
			t.Errorf("no %s change", k)
		}
	}
	if kinds[store.StatusDroppedOut] < 20 {
		t.Errorf("%d dropouts, want some dozens", kinds[store.StatusDroppedOut])
	}
}

func TestUsers(t *testing.T) {
	d := demo(t)
	towns := map[string]bool{}
	for _, tw := range d.Townships {
		towns[tw.Code] = true
	}
	schools := map[string]bool{}
	for _, s := range d.Schools {
		schools[s.Code] = true
	}
	names := map[string]bool{}
	roles := map[string]bool{}
	for _, u := range d.Users {
		if u.Username == "" || u.Username == "admin" || names[u.Username] || u.DisplayName == "" {
			t.Errorf("user %+v: bad or repeated name", u)
		}
		names[u.Username] = true
		roles[u.Role] = true
		if !slices.Contains(store.Roles, u.Role) || u.Role == store.RoleAdmin || (u.Line != store.LineEducation && u.Line != store.LineGovernment) {
			t.Errorf("user %+v: bad role or line", u)
		}
		sc, err := store.ParseScope(u.Scope)
		if err != nil {
			t.Errorf("user %+v: %v", u, err)
			continue
		}
		switch sc.Kind {
		case store.ScopeTownship:
			if !towns[sc.Code] {
				t.Errorf("user %+v: no such township", u)
			}
		case store.ScopeSchool:
			if !schools[sc.Code] {
				t.Errorf("user %+v: no such school", u)
			}
		case store.ScopeClass:
			if !slices.ContainsFunc(d.Students, func(s store.StudentFields) bool {
				return s.SchoolCode == sc.Code && s.Grade == sc.Grade && s.Class == sc.Class
			}) {
				t.Errorf("user %+v: no such class", u)
			}
		}
	}
	for _, r := range []string{store.RoleOfficer, store.RoleTeacher, store.RoleViewer} {
		if !roles[r] {
			t.Errorf("no example user with role %s", r)
		}
	}
}

func TestConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Students: -1},
		{Students: MaxStudents + 1},
		{DistrictCode: "4502"},
		{DistrictCode: "45020a"},
		{DistrictName: " "},
	} {
		if _, err := Generate(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("Generate(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
	d := mustGenerate(t, Config{Seed: 5, Students: 300, DistrictCode: "450203", DistrictName: "鱼峰区"})
	if d.District != (store.District{Code: "450203", Name: "鱼峰区"}) || d.Townships[0].Code != "450203100" {
		t.Errorf("district %+v, first township %+v", d.District, d.Townships[0])
	}
	if !strings.HasPrefix(d.Students[0].IDNumber, "450203") || !strings.HasPrefix(d.Schools[0].Code, "21450203") {
		t.Errorf("ID %s, school %s: not in the configured district", d.Students[0].IDNumber, d.Schools[0].Code)
	}
	for _, n := range []int{1, 2, 17} {
		if d := mustGenerate(t, Config{Seed: 1, Students: n}); len(d.Students) != n {
			t.Errorf("Students %d: got %d", n, len(d.Students))
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{DefaultStudents, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := Generate(Config{Seed: 1, Students: n}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

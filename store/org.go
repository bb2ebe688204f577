package store

import (
	"slices"
	"strconv"
	"strings"
)

// The org tree: the district, its townships, their villages and schools,
// the villages' groups. Set up and changed by administrators.

// Command kinds of the org tree.
const (
	KindDistrictInit   = "district.init"
	KindTownshipCreate = "township.create"
	KindVillageCreate  = "village.create"
	KindGroupCreate    = "group.create"
	KindSchoolCreate   = "school.create"
)

// DistrictInit sets up an empty register: the district and its first admin.
type DistrictInit struct {
	District District `json:"district"`
	Admin    User     `json:"admin"`
}

// TownshipCreate adds a township: payload of township.create (the JSON of
// a Township).
type TownshipCreate struct{ Township }

// VillageCreate adds a village or community: payload of village.create
// (the JSON of a Village; an empty Kind is a village).
type VillageCreate struct{ Village }

// GroupCreate adds a villager group: payload of group.create (the JSON of a
// Group).
type GroupCreate struct{ Group }

// SchoolCreate adds a school: payload of school.create (the JSON of a
// School).
type SchoolCreate struct{ School }

// Kind names the payload's command kind (Payload).
func (DistrictInit) Kind() string   { return KindDistrictInit }
func (TownshipCreate) Kind() string { return KindTownshipCreate }
func (VillageCreate) Kind() string  { return KindVillageCreate }
func (GroupCreate) Kind() string    { return KindGroupCreate }
func (SchoolCreate) Kind() string   { return KindSchoolCreate }

var (
	_ = register(kindSpec[DistrictInit]{Who: Anyone, Nodes: BureauNode, Check: CheckDistrictInit, Target: noTarget[DistrictInit], Apply: applyDistrictInit})
	_ = register(kindSpec[TownshipCreate]{Who: Admin, Nodes: BureauNode, Check: CheckTownship, Target: noTarget[TownshipCreate], Apply: applyTownshipCreate})
	_ = register(kindSpec[VillageCreate]{Who: Admin, Nodes: BureauNode, Check: CheckVillage, Target: noTarget[VillageCreate], Apply: applyVillageCreate})
	_ = register(kindSpec[GroupCreate]{Who: Admin, Nodes: BureauNode, Check: CheckGroup, Target: noTarget[GroupCreate], Apply: applyGroupCreate})
	_ = register(kindSpec[SchoolCreate]{Who: Admin, Nodes: BureauNode, Check: CheckSchool, Target: noTarget[SchoolCreate], Apply: applySchoolCreate})
)

// CheckDistrictInit checks the district and its first administrator on
// their own. Errors are *FieldError.
func CheckDistrictInit(p *DistrictInit) error {
	if !isCode(p.District.Code) || strings.TrimSpace(p.District.Name) == "" {
		return fieldErr("", "required", "district needs a code and a name")
	}
	if p.Admin.Role != RoleAdmin || p.Admin.Scope.Kind != ScopeDistrict {
		return fieldErr("", "admin", "the first user must be an administrator with district scope")
	}
	return checkUser(&p.Admin)
}

func applyDistrictInit(a *applyCtx, p *DistrictInit) error {
	meta := a.tx.Bucket(bucketMeta)
	if meta.Get(keyDistrict) != nil {
		return reject(CodeState, "the register already has a district")
	}
	if err := CheckDistrictInit(p); err != nil {
		return invalid(err)
	}
	u := p.Admin
	u.CreatedAt = a.at
	if err := putJSON(meta, keyDistrict, p.District); err != nil {
		return err
	}
	a.done("district:"+p.District.Code, p.District.Code, 0, []Change{{Field: "district", To: p.District.Name}, {Field: "user", To: u.Username}})
	return putUser(a, u)
}

// checkOrg trims and checks the code and name every org record has.
func checkOrg(code, name *string) error {
	*code = strings.TrimSpace(*code)
	switch {
	case *code == "":
		return fieldErr("code", "required", "code is required")
	case !isCode(*code):
		return fieldErr("code", "format", "code must be 1 to 32 letters, digits, - or _")
	}
	return CheckOrgName(name)
}

// checkParent trims the code of a record's parent, which is required.
func checkParent(field string, code *string) error {
	if *code = strings.TrimSpace(*code); *code == "" {
		return fieldErr(field, "required", field+" is required")
	}
	return nil
}

// CheckTownship trims and checks a new township on its own. Errors are
// *FieldError.
func CheckTownship(p *TownshipCreate) error { return checkOrg(&p.Code, &p.Name) }

// CheckVillage trims and checks a new village on its own (an empty kind
// becomes village). Errors are *FieldError.
func CheckVillage(p *VillageCreate) error {
	if err := checkOrg(&p.Code, &p.Name); err != nil {
		return err
	}
	if err := checkParent("township_code", &p.TownshipCode); err != nil {
		return err
	}
	if p.Village.Kind == "" {
		p.Village.Kind = KindVillage
	}
	if p.Village.Kind != KindVillage && p.Village.Kind != KindCommunity {
		return fieldErr("kind", "format", "kind must be village or community")
	}
	return nil
}

// CheckGroup trims and checks a new villager group on its own. Errors are
// *FieldError.
func CheckGroup(p *GroupCreate) error {
	if err := checkOrg(&p.Code, &p.Name); err != nil {
		return err
	}
	return checkParent("village_code", &p.VillageCode)
}

// CheckSchool trims and checks a new school on its own. Errors are
// *FieldError.
func CheckSchool(p *SchoolCreate) error {
	if err := checkOrg(&p.Code, &p.Name); err != nil {
		return err
	}
	if !slices.Contains(SchoolTypes, p.Type) {
		return fieldErr("type", "format", "type must be one of "+strings.Join(SchoolTypes, ", "))
	}
	return checkParent("township_code", &p.TownshipCode)
}

// createOrg stores a new org-tree record under code, refusing duplicates.
func createOrg(a *applyCtx, bucket []byte, kind, code, name string, v any) error {
	b := a.tx.Bucket(bucket)
	if b.Get([]byte(code)) != nil {
		return reject(CodeDuplicate, kind+" "+code+" already exists").on("code").existing(code)
	}
	a.done(kind+":"+code, code, 0, []Change{{Field: "name", To: name}})
	return putJSON(b, []byte(code), v)
}

// requireParent refuses a record whose parent (in bucket) does not exist.
func requireParent(a *applyCtx, bucket []byte, field, what, code string) error {
	if !exists(a, bucket, code) {
		return reject(CodeNotFound, "no "+what+" "+strconv.Quote(code)).on(field)
	}
	return nil
}

func applyTownshipCreate(a *applyCtx, p *TownshipCreate) error {
	if err := CheckTownship(p); err != nil {
		return invalid(err)
	}
	return createOrg(a, bucketTownships, "township", p.Code, p.Name, p.Township)
}

func applyVillageCreate(a *applyCtx, p *VillageCreate) error {
	if err := CheckVillage(p); err != nil {
		return invalid(err)
	}
	if err := requireParent(a, bucketTownships, "township_code", "township", p.TownshipCode); err != nil {
		return err
	}
	return createOrg(a, bucketVillages, "village", p.Code, p.Name, p.Village)
}

func applyGroupCreate(a *applyCtx, p *GroupCreate) error {
	if err := CheckGroup(p); err != nil {
		return invalid(err)
	}
	if err := requireParent(a, bucketVillages, "village_code", "village", p.VillageCode); err != nil {
		return err
	}
	return createOrg(a, bucketGroups, "group", p.Code, p.Name, p.Group)
}

func applySchoolCreate(a *applyCtx, p *SchoolCreate) error {
	if err := CheckSchool(p); err != nil {
		return invalid(err)
	}
	if err := requireParent(a, bucketTownships, "township_code", "township", p.TownshipCode); err != nil {
		return err
	}
	return createOrg(a, bucketSchools, "school", p.Code, p.Name, p.School)
}

package synth

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"baoxue/store"
)

// TestSampleExport: the demo's sample export, imported as the admin into
// the district it was made from, has two new rows, a few changes and the
// five bad rows it promises, each refused for its own reason.
func TestSampleExport(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Students = 3000
	d := mustGenerate(t, cfg)
	db, err := store.Open(filepath.Join(t.TempDir(), "register.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var batch []store.Entry
	add := func(kind string, p any) {
		b, _ := json.Marshal(p)
		i := uint64(len(batch) + 1)
		batch = append(batch, store.Entry{Index: i, Time: time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC),
			Command: store.Command{ID: fmt.Sprintf("c%d", i), Kind: kind, Actor: store.Actor{User: "admin", Node: "n"}, Payload: b}})
	}
	admin := store.User{Username: "admin", Role: store.RoleAdmin, Line: store.LineEducation, Scope: store.DistrictScope, PasswordHash: "pbkdf2-sha256$1$AAAA$AAAA"}
	add(store.KindDistrictInit, store.DistrictInit{District: d.District, Admin: admin})
	for _, x := range d.Townships {
		add(store.KindTownshipCreate, x)
	}
	for _, x := range d.Villages {
		add(store.KindVillageCreate, x)
	}
	for _, x := range d.Groups {
		add(store.KindGroupCreate, x)
	}
	for _, x := range d.Schools {
		add(store.KindSchoolCreate, x)
	}
	for _, x := range d.Students {
		add(store.KindStudentCreate, x)
	}
	if _, err := db.ApplyBatch(batch); err != nil {
		t.Fatal(err)
	}

	data, _ := d.SampleExport()
	text, err := simplifiedchinese.GBK.NewDecoder().Bytes(data)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(text)), "\r\n")
	kind, _ := store.ImportKindNamed("students")
	header := strings.Split(lines[0], ",")
	var rows []store.ImportRow
	for i, l := range lines[1:] {
		cells := map[string]string{}
		for c, v := range strings.Split(l, ",") {
			if k := kind.ColumnFor(header[c]); k != "" && v != "" {
				cells[k] = v
			}
		}
		rows = append(rows, store.ImportRow{Row: i + 2, Cells: cells})
	}
	cs, err := kind.Classify(db, admin, "2026-11-28", rows)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	var codes []string
	for _, c := range cs {
		count[c.Class]++
		if c.Class == store.RowError {
			codes = append(codes, c.Field+":"+c.Code)
		}
	}
	sort.Strings(codes)
	want := "gender:mismatch grade:range id_number:check_digit id_number:duplicate_in_file school_name:unknown"
	if count[store.RowNew] != 2 || count[store.RowChanges] < 1 || count[store.RowChanges] > 3 || strings.Join(codes, " ") != want {
		t.Errorf("sample export: %v, errors %v; want 2 new, 1-3 changes, errors %s", count, codes, want)
	}
}

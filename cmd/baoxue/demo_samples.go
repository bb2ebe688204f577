package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/xuri/excelize/v2"

	"baoxue/store"
	"baoxue/store/synth"
)

// writeDemoSamples writes the demo's sample files for the imports into
// dir/samples, made from the district just loaded (so the same seed gives
// the same files): the poverty office's list, with deliberate mismatches
// and a few bad rows, and a list of aid paid this term. It returns the
// files' paths.
func writeDemoSamples(dir string, d *synth.District) ([]string, error) {
	today := time.Now().In(store.ChinaTime).Format(time.DateOnly)
	if today < synth.ReferenceDate {
		today = synth.ReferenceDate
	}
	samples := filepath.Join(dir, "samples")
	if err := os.MkdirAll(samples, 0o700); err != nil {
		return nil, err
	}
	var paths []string
	for _, s := range []struct {
		file, sheet string
		rows        [][]string
	}{
		{"poverty-list.xlsx", "建档立卡学生名单", synth.PovertySample(d)},
		{"aid-list.xlsx", "学生资助发放名单", synth.AidSample(d, store.Term(today), today)},
	} {
		p := filepath.Join(samples, s.file)
		if err := writeSheet(p, s.sheet, s.rows); err != nil {
			return nil, fmt.Errorf("sample %s: %w", s.file, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// writeSheet writes rows as one sheet of text cells.
func writeSheet(path, sheet string, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	for i, r := range rows {
		for j, v := range r {
			cell, err := excelize.CoordinatesToCellName(j+1, i+1)
			if err != nil {
				return err
			}
			if err := f.SetCellStr(sheet, cell, v); err != nil {
				return err
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o600)
}

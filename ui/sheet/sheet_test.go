package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

const rosterCSV = "姓名,身份证号,班级\r\n韦小明,450206201703010011,=1+2\r\n,,\r\n李红,450206201703010027,\"(2)班\"\r\n"

func TestCSVEncodings(t *testing.T) {
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(rosterCSV))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		data []byte
		enc  string
	}{
		{"utf-8", []byte(rosterCSV), "utf-8"},
		{"utf-8 with BOM", append([]byte{0xEF, 0xBB, 0xBF}, rosterCSV...), "utf-8-bom"},
		{"gbk", gbk, "gb18030"},
	} {
		s, err := Read(tt.data, Limits{})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if s.Encoding != tt.enc || strings.Join(s.Header, "|") != "姓名|身份证号|班级" {
			t.Errorf("%s: encoding %s header %q", tt.name, s.Encoding, s.Header)
		}
		// The empty row is left out; a cell beginning with = is text.
		if len(s.Rows) != 2 || s.Rows[0][2] != "=1+2" || s.Rows[1][0] != "李红" || s.RowNums[1] != 4 {
			t.Errorf("%s: rows %q at %v", tt.name, s.Rows, s.RowNums)
		}
	}
}

func xlsxOf(t *testing.T, fill func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	fill(f)
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestXLSX(t *testing.T) {
	data := xlsxOf(t, func(f *excelize.File) {
		f.SetSheetRow("Sheet1", "A1", &[]any{"姓名", "身份证号", "年级"})
		f.SetSheetRow("Sheet1", "A2", &[]any{"韦小明", "450206201703010011", 3})
		f.SetCellStr("Sheet1", "C4", "@SUM(A1)")
	})
	s, err := Read(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != "xlsx" || len(s.Rows) != 2 || s.Rows[0][2] != "3" || s.Rows[1][2] != "@SUM(A1)" || s.RowNums[1] != 4 {
		t.Errorf("rows %q at %v", s.Rows, s.RowNums)
	}
}

// zipOf makes a workbook by hand with the given sheet XML.
func zipOf(t testing.TB, sheetXML string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.Create("xl/worksheets/sheet1.xml")
	f.Write([]byte(sheetXML))
	w.Close()
	return b.Bytes()
}

// TestRefusals: each kind of bad file is refused with its code.
func TestRefusals(t *testing.T) {
	formula := xlsxOf(t, func(f *excelize.File) {
		f.SetSheetRow("Sheet1", "A1", &[]any{"姓名", "身份证号"})
		f.SetCellFormula("Sheet1", "B2", "1+1")
	})
	bomb := zipOf(t, `<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>a</t></is></c></row>`+strings.Repeat(" ", 4<<20)+`</sheetData></worksheet>`)
	million := zipOf(t, `<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>a</t></is></c></row><row r="1000000"/></sheetData></worksheet>`)
	latin1 := []byte("Name,ID\n\xe9\xff\xfe\xe9,1\n")
	for _, tt := range []struct {
		name string
		data []byte
		lim  Limits
		code string
	}{
		{"a PNG", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), Limits{}, CodeNotSpreadsheet},
		{"an .xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, Limits{}, CodeOldXLS},
		{"latin-1 text", latin1, Limits{}, CodeEncoding},
		{"utf-16", []byte{0xFF, 0xFE, 'a', 0}, Limits{}, CodeNotSpreadsheet},
		{"a formula", formula, Limits{}, CodeFormula},
		{"a zip bomb", bomb, Limits{MaxUnzipped: 1 << 20}, CodeUnzipped},
		{"a million empty rows", million, Limits{}, CodeTooManyRows},
		{"an empty file", nil, Limits{}, CodeEmpty},
		{"a broken zip", []byte("PK\x03\x04garbage"), Limits{}, CodeBroken},
		{"a long cell", []byte("a\n" + strings.Repeat("x", 5000)), Limits{}, CodeCellTooLong},
	} {
		_, err := Read(tt.data, tt.lim)
		var e *Error
		if !errors.As(err, &e) || e.Code != tt.code {
			t.Errorf("%s: %v, want code %s", tt.name, err, tt.code)
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte(rosterCSV))
	f.Add([]byte("a;b;c\n1;2;3\n"))
	f.Add([]byte("\"unterminated\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Read(data, Limits{MaxRows: 1000})
		checkSheet(t, s, err)
	})
}

func FuzzReadXLSX(f *testing.F) {
	f.Add(zipOf(f, `<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row><row><c r="B2"><v>3</v></c></row></sheetData></worksheet>`))
	f.Add(zipOf(f, `<worksheet><sheetData><row r="2"><c r="XFD2" t="s"><v>0</v></c></row></sheetData></worksheet>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Read(data, Limits{MaxRows: 1000, MaxUnzipped: 1 << 20})
		checkSheet(t, s, err)
	})
}

// checkSheet: a read either refuses with an *Error or gives rows within
// the limits, all valid text, each as long as its row.
func checkSheet(t *testing.T, s *Sheet, err error) {
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("an error that is not a refusal: %v", err)
		}
		return
	}
	if s.Header == nil || len(s.Rows) != len(s.RowNums) || len(s.Rows) > 1000 {
		t.Fatalf("a sheet out of shape: %d rows, %d numbers", len(s.Rows), len(s.RowNums))
	}
	for i, r := range s.Rows {
		if len(r) > 200 || s.RowNums[i] <= s.HeaderRow {
			t.Fatalf("row %d out of limits", s.RowNums[i])
		}
	}
}

// Package sheet reads the first sheet of an uploaded spreadsheet (.xlsx, or
// .csv in UTF-8 with or without a BOM, or GBK/GB18030) into rows of text,
// within limits, so that no upload can exhaust the node: a zip bomb, a
// sheet of a million rows or a cell of a megabyte is refused with an
// *Error naming what is wrong. Cells are text, never formulas: an .xlsx
// cell holding a formula is refused (its value is a computation the
// register would not see again), and a CSV cell beginning with = + - or @
// is text like any other.
package sheet

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits bound what Read accepts.
type Limits struct {
	MaxRows     int   // data and empty rows, by row number; 0: 200,000
	MaxCols     int   // 0: 200
	MaxCell     int   // bytes of one cell's text; 0: 4,096
	MaxUnzipped int64 // bytes of an .xlsx's parts, decompressed, all together; 0: 256 MiB
}

func (l Limits) orDefaults() Limits {
	if l.MaxRows <= 0 {
		l.MaxRows = 200_000
	}
	if l.MaxCols <= 0 {
		l.MaxCols = 200
	}
	if l.MaxCell <= 0 {
		l.MaxCell = 4096
	}
	if l.MaxUnzipped <= 0 {
		l.MaxUnzipped = 256 << 20
	}
	return l
}

// Error codes: why a file is refused. The ui names each in the catalogue.
const (
	CodeNotSpreadsheet = "not_spreadsheet" // neither an .xlsx nor text
	CodeOldXLS         = "old_xls"         // an .xls of Excel 97–2003: save it as .xlsx
	CodeEncoding       = "encoding"        // text neither UTF-8 nor GBK/GB18030
	CodeTooManyRows    = "too_many_rows"
	CodeTooManyCols    = "too_many_cols"
	CodeCellTooLong    = "cell_too_long"
	CodeUnzipped       = "unzipped_too_large" // a zip bomb, or a workbook too large to read
	CodeFormula        = "formula"            // Cell names it
	CodeEmpty          = "empty"              // no header row
	CodeBroken         = "broken"             // an .xlsx that does not read
)

// Error is a refusal of a file. Cell names the cell (B7) or row (7) at
// fault where there is one.
type Error struct {
	Code   string
	Cell   string
	Detail string // English, for logs and API clients
}

func (e *Error) Error() string {
	if e.Cell != "" {
		return fmt.Sprintf("%s at %s: %s", e.Code, e.Cell, e.Detail)
	}
	return e.Code + ": " + e.Detail
}

func refuse(code, cell, format string, args ...any) *Error {
	return &Error{Code: code, Cell: cell, Detail: fmt.Sprintf(format, args...)}
}

// Sheet is a sheet's text: its header row and its data rows (rows wholly
// empty left out), each with its row number in the sheet (the header's is
// its own, usually 1). Cells are trimmed of surrounding white space.
type Sheet struct {
	Format    string // "xlsx" or "csv"
	Encoding  string // csv: "utf-8", "utf-8-bom" or "gb18030"
	Header    []string
	HeaderRow int
	Rows      [][]string
	RowNums   []int
}

// Read reads data as an .xlsx (by its content: a zip) or as CSV text.
func Read(data []byte, lim Limits) (*Sheet, error) {
	lim = lim.orDefaults()
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return readXLSX(data, lim)
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return nil, refuse(CodeOldXLS, "", "an Excel 97-2003 .xls file: save it as .xlsx")
	}
	return readCSV(data, lim)
}

// sheetBuilder collects rows, dropping empty ones, checking limits.
type sheetBuilder struct {
	lim Limits
	s   Sheet
}

func (b *sheetBuilder) add(rowNum int, cells []string) error {
	if rowNum > b.lim.MaxRows {
		return refuse(CodeTooManyRows, "", "more than %d rows", b.lim.MaxRows)
	}
	if len(cells) > b.lim.MaxCols {
		return refuse(CodeTooManyCols, fmt.Sprint(rowNum), "more than %d columns", b.lim.MaxCols)
	}
	empty := true
	for i, c := range cells {
		if len(c) > b.lim.MaxCell {
			return refuse(CodeCellTooLong, cellName(i, rowNum), "a cell of more than %d bytes", b.lim.MaxCell)
		}
		c = strings.TrimSpace(c)
		if !utf8.ValidString(c) {
			return refuse(CodeEncoding, cellName(i, rowNum), "a cell that is not valid text")
		}
		cells[i] = c
		empty = empty && c == ""
	}
	if empty {
		return nil
	}
	if b.s.Header == nil {
		b.s.Header, b.s.HeaderRow = cells, rowNum
		return nil
	}
	b.s.Rows = append(b.s.Rows, cells)
	b.s.RowNums = append(b.s.RowNums, rowNum)
	return nil
}

func (b *sheetBuilder) done() (*Sheet, error) {
	if b.s.Header == nil {
		return nil, refuse(CodeEmpty, "", "no header row: the sheet is empty")
	}
	return &b.s, nil
}

// cellName writes column index i (0-based) and row n as A1 notation.
func cellName(i, n int) string {
	col := ""
	for i++; i > 0; i = (i - 1) / 26 {
		col = string(rune('A'+(i-1)%26)) + col
	}
	return fmt.Sprintf("%s%d", col, n)
}

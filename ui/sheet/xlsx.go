package sheet

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"
)

// readXLSX reads the first sheet of a workbook by streaming its XML, so
// that what it holds is bounded by Limits, not by what the file claims: every
// part is read through one budget of decompressed bytes (a zip bomb runs
// out of it), rows are counted by their number as they come (a sheet of a
// million empty rows is refused at row MaxRows+1, before it is all read).
func readXLSX(data []byte, lim Limits) (*Sheet, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, refuse(CodeBroken, "", "the .xlsx does not open as a zip: %v", err)
	}
	x := &xlsx{files: map[string]*zip.File{}, budget: lim.MaxUnzipped}
	for _, f := range zr.File {
		x.files[f.Name] = f
	}
	sheetPath, err := x.firstSheet()
	if err != nil {
		return nil, err
	}
	shared, err := x.sharedStrings()
	if err != nil {
		return nil, err
	}
	r, err := x.open(sheetPath)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return readSheetXML(r, shared, lim)
}

type xlsx struct {
	files  map[string]*zip.File
	budget int64 // decompressed bytes left to read
}

var errBudget = errors.New("decompressed size over the limit")

// budgetReader reads a zip part while the workbook's budget lasts.
type budgetReader struct {
	rc   io.ReadCloser
	left *int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	*b.left -= int64(n)
	if *b.left < 0 {
		return n, errBudget
	}
	return n, err
}

func (b *budgetReader) Close() error { return b.rc.Close() }

func (x *xlsx) open(name string) (io.ReadCloser, error) {
	f := x.files[name]
	if f == nil {
		return nil, refuse(CodeBroken, "", "the workbook has no part %s", name)
	}
	if f.UncompressedSize64 > uint64(x.budget) {
		return nil, refuse(CodeUnzipped, "", "the workbook unpacks to more than the limit")
	}
	rc, err := f.Open()
	if err != nil {
		return nil, refuse(CodeBroken, "", "part %s does not open: %v", name, err)
	}
	return &budgetReader{rc: rc, left: &x.budget}, nil
}

// xmlErr turns a read error of a part into a refusal.
func xmlErr(name string, err error) error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, errBudget):
		return refuse(CodeUnzipped, "", "the workbook unpacks to more than the limit")
	}
	return refuse(CodeBroken, "", "part %s does not read: %v", name, err)
}

// firstSheet finds the workbook's first sheet through its relationships,
// or takes xl/worksheets/sheet1.xml.
func (x *xlsx) firstSheet() (string, error) {
	const fallback = "xl/worksheets/sheet1.xml"
	var rid string
	err := x.walk("xl/workbook.xml", func(d *xml.Decoder, se xml.StartElement) (bool, error) {
		if se.Name.Local == "sheet" {
			for _, a := range se.Attr {
				if a.Name.Local == "id" {
					rid = a.Value
				}
			}
			return true, nil
		}
		return false, nil
	})
	if err != nil || rid == "" {
		return fallback, nil
	}
	target := ""
	_ = x.walk("xl/_rels/workbook.xml.rels", func(d *xml.Decoder, se xml.StartElement) (bool, error) {
		if se.Name.Local != "Relationship" {
			return false, nil
		}
		id, t := "", ""
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "Id":
				id = a.Value
			case "Target":
				t = a.Value
			}
		}
		if id == rid {
			target = t
			return true, nil
		}
		return false, nil
	})
	switch {
	case target == "":
		return fallback, nil
	case strings.HasPrefix(target, "/"):
		return strings.TrimPrefix(target, "/"), nil
	}
	return path.Join("xl", target), nil
}

// walk calls fn on each start element of part name until fn says stop.
// A missing part is not an error here.
func (x *xlsx) walk(name string, fn func(*xml.Decoder, xml.StartElement) (bool, error)) error {
	if x.files[name] == nil {
		return nil
	}
	r, err := x.open(name)
	if err != nil {
		return err
	}
	defer r.Close()
	d := xml.NewDecoder(r)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return xmlErr(name, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			stop, err := fn(d, se)
			if err != nil || stop {
				return err
			}
		}
	}
}

// sharedStrings reads the shared string table: each <si>'s text, its
// phonetic runs (<rPh>) left out.
func (x *xlsx) sharedStrings() ([]string, error) {
	const name = "xl/sharedStrings.xml"
	if x.files[name] == nil {
		return nil, nil
	}
	r, err := x.open(name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []string
	var cur strings.Builder
	inSI, inT, inPh := false, false, false
	d := xml.NewDecoder(r)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, xmlErr(name, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI = true
				cur.Reset()
			case "t":
				inT = true
			case "rPh":
				inPh = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				inSI = false
				out = append(out, cur.String())
			case "t":
				inT = false
			case "rPh":
				inPh = false
			}
		case xml.CharData:
			if inSI && inT && !inPh {
				cur.Write(t)
			}
		}
	}
}

// readSheetXML streams a worksheet's rows and cells.
func readSheetXML(r io.Reader, shared []string, lim Limits) (*Sheet, error) {
	x := &sheetXML{b: sheetBuilder{lim: lim, s: Sheet{Format: "xlsx"}}, shared: shared, lim: lim}
	d := xml.NewDecoder(r)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, xmlErr("the sheet", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			err = x.start(t)
		case xml.EndElement:
			err = x.end(t)
		case xml.CharData:
			err = x.chars(t)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := x.flush(); err != nil {
		return nil, err
	}
	return x.b.done()
}

// sheetXML is the state of readSheetXML: the row and the cell being read.
type sheetXML struct {
	b           sheetBuilder
	shared      []string
	lim         Limits
	row         []string
	rowNum, col int
	// the cell
	typ, ref string
	v, is    strings.Builder
	in       string // "v" or "t" (of an inline string) while inside one
	inPh     bool   // inside a phonetic run, whose text is not the cell's
}

func (x *sheetXML) flush() error {
	if x.rowNum == 0 {
		return nil
	}
	err := x.b.add(x.rowNum, x.row)
	x.row = nil
	return err
}

func (x *sheetXML) start(t xml.StartElement) error {
	switch t.Name.Local {
	case "row":
		if err := x.flush(); err != nil {
			return err
		}
		next := x.rowNum + 1
		if n, err := strconv.Atoi(attr(t, "r")); err == nil && n > x.rowNum {
			next = n
		}
		x.rowNum, x.col = next, 0
		if x.rowNum > x.lim.MaxRows {
			return refuse(CodeTooManyRows, "", "more than %d rows", x.lim.MaxRows)
		}
	case "c":
		x.typ, x.ref, x.in, x.inPh = attr(t, "t"), attr(t, "r"), "", false
		x.v.Reset()
		x.is.Reset()
	case "f":
		return refuse(CodeFormula, x.ref, "a formula: the import takes values only; copy the column and paste it as values")
	case "v", "t":
		x.in = t.Name.Local
	case "rPh":
		x.inPh = true
	}
	return nil
}

func (x *sheetXML) end(t xml.EndElement) error {
	switch t.Name.Local {
	case "v", "t":
		x.in = ""
	case "rPh":
		x.inPh = false
	case "c":
		i := x.col
		if n, ok := colIndex(x.ref); ok {
			i = n
		}
		if i >= x.lim.MaxCols {
			return refuse(CodeTooManyCols, strconv.Itoa(x.rowNum), "more than %d columns", x.lim.MaxCols)
		}
		v, err := cellValue(x.typ, x.v.String(), x.is.String(), x.shared)
		if err != nil {
			return refuse(CodeBroken, cellName(i, x.rowNum), "%v", err)
		}
		for len(x.row) <= i {
			x.row = append(x.row, "")
		}
		x.row[i] = v
		x.col = i + 1
	}
	return nil
}

func (x *sheetXML) chars(t xml.CharData) error {
	switch {
	case x.in == "v":
		x.v.Write(t)
	case x.in == "t" && !x.inPh:
		x.is.Write(t)
	}
	if x.v.Len() > x.lim.MaxCell || x.is.Len() > x.lim.MaxCell {
		return refuse(CodeCellTooLong, cellName(x.col, x.rowNum), "a cell of more than %d bytes", x.lim.MaxCell)
	}
	return nil
}

func cellValue(typ, v, inline string, shared []string) (string, error) {
	switch typ {
	case "s":
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n >= len(shared) {
			return "", errors.New("a shared string that is not in the table")
		}
		return shared[n], nil
	case "inlineStr":
		return inline, nil
	}
	return v, nil // a number, a boolean (0/1), an error value (#N/A), a formula's string
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// colIndex reads the column of a cell reference (B7 → 1).
func colIndex(ref string) (int, bool) {
	n, i := 0, 0
	for ; i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z'; i++ {
		n = n*26 + int(ref[i]-'A'+1)
		if n > 1<<20 {
			return 0, false
		}
	}
	return n - 1, i > 0
}

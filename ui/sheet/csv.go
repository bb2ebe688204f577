package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// readCSV reads CSV text in UTF-8 (a BOM is dropped) or, failing that,
// GB18030, which GBK is a part of (Excel on Chinese Windows saves CSV in
// GBK). Text that is neither is refused: guessing would store wrong names.
func readCSV(data []byte, lim Limits) (*Sheet, error) {
	if looksBinary(data) {
		return nil, refuse(CodeNotSpreadsheet, "", "neither an .xlsx workbook nor CSV text")
	}
	enc := "utf-8"
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data, enc = data[3:], "utf-8-bom"
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return nil, refuse(CodeEncoding, "", "UTF-16 text: save the file as CSV in UTF-8 or GBK")
	}
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil || bytes.ContainsRune(dec, utf8.RuneError) {
			return nil, refuse(CodeEncoding, "", "the text is neither UTF-8 nor GBK/GB18030")
		}
		data, enc = dec, "gb18030"
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.Comma = delimiter(data)
	b := sheetBuilder{lim: lim, s: Sheet{Format: "csv", Encoding: enc}}
	for n := 1; ; n++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, refuse(CodeNotSpreadsheet, "", "the CSV does not read: %v", err)
		}
		if err := b.add(n, rec); err != nil {
			return nil, err
		}
	}
	return b.done()
}

// looksBinary: a NUL, or many control characters, in the first 8 KiB.
func looksBinary(data []byte) bool {
	head := data[:min(len(data), 8192)]
	ctl := 0
	for _, c := range head {
		switch {
		case c == 0:
			return true
		case c < 0x20 && c != '\t' && c != '\r' && c != '\n':
			ctl++
		}
	}
	return ctl > len(head)/100+2
}

// delimiter is a tab or a semicolon when the first line has more of it
// than commas (some exports write those); else a comma.
func delimiter(data []byte) rune {
	line, _, _ := strings.Cut(string(data[:min(len(data), 4096)]), "\n")
	best, n := ',', strings.Count(line, ",")
	for _, d := range []rune{'\t', ';'} {
		if c := strings.Count(line, string(d)); c > n {
			best, n = d, c
		}
	}
	return best
}

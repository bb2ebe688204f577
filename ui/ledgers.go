package ui

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"baoxue/store"
)

// The three ledgers (三本台账) as pages: each with its filters, totals per
// township and school, pages of 50, an A4 print view and an Excel export;
// a clearance (销号) form on each suspected entry; the 人账相符 check.

type ledgerPage struct {
	basePage
	orgTree
	Ledger    string
	Ledgers   []string
	Q         url.Values
	Page      store.LedgerPage
	Today     string
	Reasons   []string
	Error     string
	ErrorLink string
	LinkText  string
	ClearFor  string // the entry whose clearance form failed
	ClearIn   store.LedgerClear
	CommandID string
}

// ledgerTitle is the catalogue key of a ledger's name.
func ledgerTitle(name string) string { return "ledger." + name }

func (s *Server) ledgersIndex(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/ledgers/"+store.LedgerSuspected)
}

// loadLedger reads the ledger of the page's address with its query; for
// print and export every row (up to MaxLimit).
func (s *Server) loadLedger(c echo.Context, all bool) (*ledgerPage, error) {
	u, _ := userOf(c)
	name := c.Param("ledger")
	if !slices.Contains(store.Ledgers, name) {
		return nil, store.ErrNotFound
	}
	o, err := s.loadOrg()
	if err != nil {
		return nil, err
	}
	p := &ledgerPage{basePage: s.base(c, ledgerTitle(name), "ledgers"), orgTree: o, Ledger: name, Ledgers: store.Ledgers,
		Q: c.QueryParams(), Today: s.today(), Reasons: store.ClearReasons, CommandID: newCommandID()}
	if name == store.LedgerDropout {
		p.Reasons = store.Outcomes // a dropout entry is cleared by closing its case
	}
	f, err := s.parseLedgerFilter(c)
	if err != nil {
		return nil, err
	}
	if all {
		f.Limit, f.Cursor = store.MaxLimit, ""
	}
	if p.Page, err = s.db.Ledger(u.Scope, name, f); err != nil {
		return nil, err
	}
	store.AsListed(p.Page.Items, p.Today)
	return p, nil
}

func (s *Server) ledgerPage(c echo.Context) error {
	p, err := s.loadLedger(c, false)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "ledger.html", p)
}

func (s *Server) ledgerPrint(c echo.Context) error {
	p, err := s.loadLedger(c, true)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "ledger_print.html", p)
}

// NextURL is the address of the next page.
func (p *ledgerPage) NextURL() string {
	q := url.Values{}
	for k, v := range p.Q {
		q[k] = v
	}
	q.Set("cursor", p.Page.NextCursor)
	return "/ledgers/" + p.Ledger + "?" + q.Encode()
}

// Query is the page's query (for the print and export links).
func (p *ledgerPage) Query() string {
	q := url.Values{}
	for k, v := range p.Q {
		if k != "cursor" && k != "lang" {
			q[k] = v
		}
	}
	return q.Encode()
}

func (s *Server) ledgerClearSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	p := &store.LedgerClear{EntryID: c.Param("id"), Reason: c.FormValue("reason"), Destination: c.FormValue("destination"),
		Note: c.FormValue("note"), Date: c.FormValue("date")}
	cmdID := c.FormValue("command_id")
	_, err = s.clearEntry(c, u, cmdID, p)
	return s.afterClear(c, store.LedgerSuspected, cmdID, p, err)
}

// dropoutClearSubmit clears an entry of the dropout ledger (an open case)
// with the same form: the case is closed with the reason as its outcome —
// error (误报) with a note for a report entered wrongly. A destination
// goes into the note, where the case keeps where the child went.
func (s *Server) dropoutClearSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	p := &store.LedgerClear{EntryID: c.Param("id"), Reason: c.FormValue("reason"), Destination: c.FormValue("destination"),
		Note: c.FormValue("note"), Date: c.FormValue("date")}
	cmdID := c.FormValue("command_id")
	in := closeRequest{CaseClose: store.CaseClose{Outcome: p.Reason, Date: p.Date,
		Note: strings.TrimSpace(strings.TrimSpace(p.Destination) + " " + strings.TrimSpace(p.Note))}, CommandID: cmdID}
	_, err = s.closeCase(c, u, &in)
	return s.afterClear(c, store.LedgerDropout, cmdID, p, err)
}

// afterClear answers a clearance form of ledger name: back to the ledger,
// or the ledger again with the form open and the reason it was refused.
func (s *Server) afterClear(c echo.Context, name, cmdID string, p *store.LedgerClear, err error) error {
	back := "/ledgers/" + name
	switch {
	case err == nil:
		s.setFlash(c, "ledger_cleared")
		return c.Redirect(http.StatusSeeOther, back)
	case asPending(err) != nil:
		s.setFlash(c, "pending")
		return c.Redirect(http.StatusSeeOther, back)
	case asFieldError(err) == nil && asRejected(err) == nil:
		return err
	}
	c.SetParamNames("ledger")
	c.SetParamValues(name)
	page, lerr := s.loadLedger(c, false)
	if lerr != nil {
		return lerr
	}
	page.ClearFor, page.ClearIn = p.EntryID, *p
	if rej := asRejected(err); rej != nil {
		page.Error = rejectionMessage(page.Lang, rej.res)
	} else {
		page.Error, page.CommandID = fieldMessage(page.Lang, asFieldError(err)), cmdID
	}
	return c.Render(statusOf(err), "ledger.html", page)
}

// ledgerColumns are the export's columns (Chinese, as ledgers are kept on
// paper) and each row's value.
var ledgerColumns = []struct {
	head  string
	width float64
	value func(o orgTree, r store.LedgerRow) any
}{
	{"编号", 8, func(_ orgTree, r store.LedgerRow) any { return r.ID }},
	{"姓名", 10, func(_ orgTree, r store.LedgerRow) any { return r.Name }},
	{"性别", 6, func(_ orgTree, r store.LedgerRow) any { return translate(langZH, "gender."+r.Gender) }},
	{"年龄", 6, func(_ orgTree, r store.LedgerRow) any { return r.Age }},
	{"户籍乡镇", 12, func(o orgTree, r store.LedgerRow) any { return o.Name(r.TownshipCode) }},
	{"户籍村（社区）", 14, func(o orgTree, r store.LedgerRow) any { return o.Name(r.VillageCode) }},
	{"学校", 18, func(o orgTree, r store.LedgerRow) any { return o.Name(r.SchoolCode) }},
	{"年级", 6, func(_ orgTree, r store.LedgerRow) any { return gradeText(r.Grade) }},
	{"班级", 6, func(_ orgTree, r store.LedgerRow) any { return gradeText(r.Class) }},
	{"学籍状态", 10, func(_ orgTree, r store.LedgerRow) any { return translate(langZH, "status."+r.Status) }},
	{"起始日期", 12, func(_ orgTree, r store.LedgerRow) any { return r.Since }},
	{"连续缺课天数", 10, func(_ orgTree, r store.LedgerRow) any { return gradeText(r.Days) }},
	{"原因", 12, func(_ orgTree, r store.LedgerRow) any { return translateCode(langZH, "reason", r.Reason) }},
	{"销号", 24, func(_ orgTree, r store.LedgerRow) any { return clearanceText(r.Cleared) }},
}

func clearanceText(c *store.Clearance) string {
	if c == nil {
		return ""
	}
	s := c.Date + " " + translateCode(langZH, "clear", c.Reason)
	for _, x := range []string{c.Destination, c.Note, c.CaseID, c.By} {
		if x != "" {
			s += " " + x
		}
	}
	return s
}

// ledgerXLSX exports a ledger as filtered: a title row, Chinese headers,
// one row per child, then the totals per township and school.
func (s *Server) ledgerXLSX(c echo.Context) error {
	p, err := s.loadLedger(c, true)
	if err != nil {
		return err
	}
	sheet := translate(langZH, ledgerTitle(p.Ledger))
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	title := fmt.Sprintf("%s %s 共%d人 导出日期：%s", p.District, sheet, p.Page.Total, formatDate(langZH, p.Today))
	if err := f.SetCellValue(sheet, "A1", title); err != nil {
		return err
	}
	for i, col := range ledgerColumns {
		name, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetCellValue(sheet, name+"2", col.head); err != nil {
			return err
		}
		if err := f.SetColWidth(sheet, name, name, col.width); err != nil {
			return err
		}
	}
	rowN := 3
	for _, r := range p.Page.Items {
		row := make([]any, len(ledgerColumns))
		for i, col := range ledgerColumns {
			row[i] = col.value(p.orgTree, r)
		}
		if err := f.SetSheetRow(sheet, "A"+strconv.Itoa(rowN), &row); err != nil {
			return err
		}
		rowN++
	}
	rowN++
	for _, t := range append(slices.Clone(p.Page.Townships), p.Page.Schools...) {
		row := []any{"合计", p.orgTree.Name(t.Code), t.Count}
		if err := f.SetSheetRow(sheet, "A"+strconv.Itoa(rowN), &row); err != nil {
			return err
		}
		rowN++
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return fmt.Errorf("write ledger xlsx: %w", err)
	}
	name := sheet + "-" + p.Today + ".xlsx"
	c.Response().Header().Set(echo.HeaderContentDisposition, "attachment; filename=\"ledger-"+p.Ledger+".xlsx\"; filename*=UTF-8''"+url.PathEscape(name))
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}

type reconcilePage struct {
	basePage
	orgTree
	Items []store.Mismatch
}

func (s *Server) reconcilePage(c echo.Context) error {
	u, _ := userOf(c)
	o, err := s.loadOrg()
	if err != nil {
		return err
	}
	ms, err := s.db.Reconcile(u.Scope)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "ledger_check.html", reconcilePage{basePage: s.base(c, "title.ledger_check", "ledgers"), orgTree: o, Items: ms})
}

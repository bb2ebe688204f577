package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// The poverty cross-check (会同扶贫部门核查, R4) as a page: the current list
// of the poverty department reconciled with the register in four lists,
// what changed since the list before, and a clearance form (with a note)
// on each mismatch not yet cleared.

type povertyCheckPage struct {
	basePage
	orgTree
	Check     store.PovertyCheck
	Lists     []povertyListView
	Error     string
	ErrorLink string
	LinkText  string
	ClearFor  string // the mismatch (kind/ref) whose form failed
	Note      string
	CommandID string
}

// povertyListView is one of the four lists as the page shows it.
type povertyListView struct {
	Kind  string
	Items []store.PovertyItem
}

// loadPovertyCheck reconciles the current list in user u's scope, as
// lists show children (store.ListView: ID numbers masked), and records the
// read as what (a page or an export) when it is a bulk read.
func (s *Server) loadPovertyCheck(c echo.Context, what string) (*povertyCheckPage, error) {
	u, _ := userOf(c)
	o, err := s.loadOrg()
	if err != nil {
		return nil, err
	}
	pc, err := s.db.PovertyReconcile(u.Scope)
	if err != nil {
		return nil, err
	}
	v := store.ListView(u, s.today())
	for _, l := range [][]store.PovertyItem{pc.Matched, pc.TheirsOnly, pc.OursOnly, pc.Differs} {
		v.PovertyItems(l)
	}
	for _, l := range [][]store.PovertyRow{pc.Changes.Added, pc.Changes.Removed, pc.Changes.Changed} {
		v.PovertyRows(l)
	}
	p := &povertyCheckPage{basePage: s.base(c, "title.poverty_check", "care"), orgTree: o, Check: pc, CommandID: newCommandID(),
		Lists: []povertyListView{{store.PovertyTheirsOnly, pc.TheirsOnly}, {store.PovertyOursOnly, pc.OursOnly},
			{store.PovertyDiffers, pc.Differs}, {store.PovertyMatched, pc.Matched}}}
	// The check lists many children at once: a bulk read when it is one (bulk_reads.go).
	rows := len(pc.Matched) + len(pc.TheirsOnly) + len(pc.OursOnly) + len(pc.Differs)
	return p, s.bulkRead(u, what, "poverty_check", rows)
}

func (s *Server) povertyCheckPage(c echo.Context) error {
	p, err := s.loadPovertyCheck(c, store.BulkStudents)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "poverty_check.html", p)
}

func (s *Server) apiPovertyCheck(c echo.Context) error {
	p, err := s.loadPovertyCheck(c, store.BulkStudents)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p.Check)
}

func (s *Server) povertyClearSubmit(c echo.Context) error {
	u, err := requireWriter(c)
	if err != nil {
		return err
	}
	p := &store.PovertyClear{Mismatch: c.FormValue("mismatch"), Ref: c.FormValue("ref"), Note: c.FormValue("note")}
	cmdID := c.FormValue("command_id")
	_, err = s.execute(c, u, write{ID: cmdID, Payload: p, Check: func() error { return store.Check(p) }})
	switch {
	case err == nil:
		s.setFlash(c, "poverty_cleared")
		return c.Redirect(http.StatusSeeOther, "/care/check")
	case asPending(err) != nil:
		s.setFlash(c, "pending")
		return c.Redirect(http.StatusSeeOther, "/care/check")
	case asFieldError(err) == nil && asRejected(err) == nil:
		return err
	}
	page, lerr := s.loadPovertyCheck(c, store.BulkStudents)
	if lerr != nil {
		return lerr
	}
	page.ClearFor, page.Note = p.Mismatch+"/"+p.Ref, c.FormValue("note")
	if rej := asRejected(err); rej != nil {
		page.Error = rejectionMessage(page.Lang, rej.res)
	} else {
		page.Error, page.CommandID = fieldMessage(page.Lang, asFieldError(err)), cmdID
	}
	return c.Render(statusOf(err), "poverty_check.html", page)
}

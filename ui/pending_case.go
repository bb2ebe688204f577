package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// A township cut off from the leader takes a dropout report into its outbox
// and answers "pending": the case has no id until the leader applies the
// report. Its cadres go on visiting the family meanwhile, so the case is
// named by its report, /cases/report:<command id> (store.ReportRef), and
// visits recorded on that name queue behind the report in the same outbox;
// the register resolves the name when it applies them. Once the report is
// on this node's replica the same address leads to the case.

// pendingCase is a case whose dropout report waits in this node's outbox.
type pendingCase struct {
	Ref    string // store.ReportRef + the report's command id
	Report store.DropoutReport
	Author string
	Child  store.Student
	Visits []pendingVisit // visits queued behind the report, in order
	Others int            // other queued changes of the case (legal steps, close)
}

type pendingVisit struct {
	store.VisitRecord
	N      int // 1, 2, … in the order queued
	Author string
}

// caseRef resolves a case named in a request for user u. A case id, or a
// ReportRef whose report is on this replica, gives the case's id; a
// ReportRef whose report waits in this node's outbox gives the pending
// case. A report the register rejected answers its rejection to its author
// (and administrators); anything else is store.ErrNotFound.
func (s *Server) caseRef(u store.User, id string) (string, *pendingCase, error) {
	cmdID, ok := strings.CutPrefix(id, store.ReportRef)
	if !ok {
		return id, nil, nil
	}
	// The outbox first: an entry leaves it only once this replica holds
	// its result, so one of the two always has it.
	cmd, pending, err := s.cfg.Pending.PendingCommand(cmdID)
	if err != nil {
		return "", nil, err
	}
	if pending {
		pc, err := s.pendingCase(u, id, cmd)
		return "", pc, err
	}
	r, ok, err := s.db.Result(cmdID)
	switch {
	case err != nil:
		return "", nil, err
	case !ok:
		return "", nil, store.ErrNotFound
	case r.State == store.StateRejected && (r.User == u.Username || u.Role == store.RoleAdmin):
		return "", nil, &rejectedError{res: r}
	}
	if _, isCase := store.ParseCaseID(r.RecordID); !isCase || r.State != store.StateApplied {
		return "", nil, store.ErrNotFound
	}
	return r.RecordID, nil, nil
}

// pendingCase builds the pending case of report cmd, in u's scope.
func (s *Server) pendingCase(u store.User, ref string, cmd store.Command) (*pendingCase, error) {
	var p store.DropoutReport
	if cmd.Kind != store.KindCaseReport || json.Unmarshal(cmd.Payload, &p) != nil {
		return nil, store.ErrNotFound
	}
	st, err := s.db.GetStudent(u.Scope, p.StudentID)
	if err != nil {
		return nil, err
	}
	pc := &pendingCase{Ref: ref, Report: p, Author: cmd.Actor.User, Child: s.recordView(u).Student(st)}
	queued, err := s.cfg.Pending.PendingFor(ref)
	if err != nil {
		return nil, err
	}
	for _, q := range queued {
		var v store.VisitRecord
		if q.Kind == store.KindCaseVisit && json.Unmarshal(q.Payload, &v) == nil {
			pc.Visits = append(pc.Visits, pendingVisit{VisitRecord: v, N: len(pc.Visits) + 1, Author: q.Actor.User})
		} else {
			pc.Others++
		}
	}
	return pc, nil
}

// caseByRef answers a case page requested by its report: the case's own
// address once it has one, the pending case's page meanwhile. It reports
// false when the request named a case id.
func (s *Server) caseByRef(c echo.Context, suffix string) (bool, error) {
	if !strings.HasPrefix(c.Param("id"), store.ReportRef) {
		return false, nil
	}
	u, _ := userOf(c)
	id, pc, err := s.caseRef(u, c.Param("id"))
	switch {
	case err != nil:
		return true, err
	case pc == nil:
		return true, c.Redirect(http.StatusSeeOther, "/cases/"+url.PathEscape(id)+suffix)
	case suffix != "":
		return true, c.Redirect(http.StatusSeeOther, "/cases/"+url.PathEscape(pc.Ref))
	}
	return true, c.Render(http.StatusOK, "case_pending.html", s.pendingCasePage(c, pc))
}

// pendingCasePage is the page of a pending case, with the visit form.
type pendingCasePage struct {
	basePage
	Pending      *pendingCase
	VisitLines   []string
	VisitResults []string
	VisitIn      visitRequest
	Outcomes     []string
	CloseIn      closeRequest
	Settings     store.CaseSettings
	Open         string
	formState
}

// VisitURL and CloseURL are where the page's forms post.
func (p pendingCasePage) VisitURL() string { return "/cases/" + p.Pending.Ref + "/visits" }
func (p pendingCasePage) CloseURL() string { return "/cases/" + p.Pending.Ref + "/close" }

func (s *Server) pendingCasePage(c echo.Context, pc *pendingCase) pendingCasePage {
	p := pendingCasePage{basePage: s.base(c, "case.pending_title", "cases"), Pending: pc,
		VisitLines: store.VisitLines, VisitResults: store.VisitResults, Outcomes: store.Outcomes, formState: newFormState()}
	p.VisitIn.Date, p.CloseIn.Date = s.today(), s.today()
	if set, err := s.db.CaseSettings(); err == nil {
		p.Settings = set // for the close form's hint only
	} else {
		p.Settings = store.DefaultCaseSettings()
	}
	p.Title = translate(p.Lang, "case.pending_title_of", pc.Child.Name)
	return p
}

// pendingReports lists the dropout reports on child id that wait in this
// node's outbox, as pending cases' names.
func (s *Server) pendingReports(id string) ([]string, error) {
	queued, err := s.cfg.Pending.PendingFor(id)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, q := range queued {
		if q.Kind == store.KindCaseReport {
			out = append(out, store.ReportRef+q.ID)
		}
	}
	return out, nil
}

package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// The writes on a child, shared by the pages and the API: each builds its
// command, has it checked and submitted (execute), and reads the child back.

// createStudent registers a child. f is normalised in place.
func (s *Server) createStudent(c echo.Context, u store.User, cmdID string, f *store.StudentFields) (store.Student, store.Result, error) {
	p := &store.StudentCreate{StudentFields: *f}
	r, err := s.execute(c, u, write{
		ID:      cmdID,
		Payload: p,
		Check: func() error {
			err := s.db.CheckStudent(f, true, s.today())
			p.StudentFields = *f // submitted as normalised
			return err
		},
	})
	if err != nil {
		return store.Student{}, r, err
	}
	return s.readBack(u, r), r, nil
}

// updateStudent replaces a child's fields at the version the user saw:
// edit changes a copy of the current record's fields. The status is kept:
// it changes only through changeStatus.
func (s *Server) updateStudent(c echo.Context, u store.User, cmdID, id string, version uint64, edit func(*store.StudentFields) error) (store.Student, store.Result, error) {
	cur, err := s.currentFor(c, u, id, version)
	if err != nil {
		return store.Student{}, store.Result{}, err
	}
	f := cur.StudentFields
	f.Flags = slices.Clone(f.Flags)
	f.Guardians = slices.Clone(f.Guardians)
	if err := edit(&f); err != nil {
		return store.Student{}, store.Result{}, err
	}
	f.Status = cur.Status
	p := &store.StudentUpdate{ID: cur.ID, Fields: f}
	r, err := s.execute(c, u, write{
		ID:      cmdID,
		Version: version,
		Payload: p,
		Check:   func() error { return s.db.CheckStudent(&p.Fields, false, s.today()) },
	})
	if err != nil {
		return store.Student{}, r, err
	}
	return s.readBack(u, r), r, nil
}

// currentFor reads child id for an edit of the version the user saw. When
// the user saw a newer version than this replica holds (seen at a node
// ahead of this one), the replica first catches up with the leader (read
// index): merging onto the older copy would silently undo someone's change.
// A version still ahead after that was never made (409, reload); when the
// leader cannot be reached, the edit cannot be taken now (503).
func (s *Server) currentFor(c echo.Context, u store.User, id string, version uint64) (store.Student, error) {
	cur, err := s.db.GetStudent(u.Scope, id)
	if err != nil || version <= cur.Version {
		return cur, err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), strongReadTimeout)
	defer cancel()
	if err := s.cfg.Reads.ConsistentRead(ctx); err != nil {
		return cur, fmt.Errorf("record %s: this node has version %d, the edit is of version %d, and the leader cannot be reached: %v: %w",
			id, cur.Version, version, err, ErrUnavailable)
	}
	if cur, err = s.db.GetStudent(u.Scope, id); err != nil || version <= cur.Version {
		return cur, err
	}
	return cur, &rejectedError{res: store.Result{State: store.StateRejected, Code: store.CodeConflict, Field: "version",
		ExistingID: cur.ID, User: u.Username,
		Reason: fmt.Sprintf("the record is at version %d: there is no version %d; reload and enter your change again", cur.Version, version)}}
}

// changeStatus records a status change (R6). A transfer out without a
// destination or a suspension without a reason is a 400 before anything is
// submitted; the register checks the rest (and all of it again).
// version 0 means "whatever the current version is".
func (s *Server) changeStatus(c echo.Context, u store.User, cmdID string, version uint64, p *store.StudentStatus) (store.Student, store.Result, error) {
	r, err := s.execute(c, u, write{
		ID:      cmdID,
		Version: version,
		Payload: p,
		Check: func() error {
			if _, err := s.db.GetStudent(u.Scope, p.ID); err != nil {
				return err
			}
			return store.CheckStatusChange(p)
		},
	})
	if err != nil {
		return store.Student{}, r, err
	}
	return s.readBack(u, r), r, nil
}

// readBack reads the child a write applied to: as the write left it when
// this node applied it (the leader: store.DB.Written, no read transaction),
// else from the register. When this replica has not applied it yet, the
// result's id and version stand in for the record.
func (s *Server) readBack(u store.User, r store.Result) store.Student {
	if st, ok := s.db.Written(u.Scope, r.RecordID, r.Version); ok {
		return st
	}
	st, err := s.db.GetStudent(u.Scope, r.RecordID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("read back student", "id", r.RecordID, "err", err)
		}
		return store.Student{ID: r.RecordID, Version: r.Version}
	}
	return st
}

// recordView is how u sees one child's record; listView how u sees
// children listed many at a time (store/visibility.go, R22).
func (s *Server) recordView(u store.User) store.View { return store.RecordView(u, s.today()) }
func (s *Server) listView(u store.User) store.View   { return store.ListView(u, s.today()) }

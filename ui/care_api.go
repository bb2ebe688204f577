package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// The care registers' writes as JSON, as the pages' forms make them:
// POST /api/v1/care/{register}/details (left_behind, disabled, migrant)
// and POST /api/v1/care/{register}/log (left_behind: a contact; poverty:
// an aid, amount in fen; disabled: a home-teaching visit). The body is the
// command's payload (store.CareLeftBehind …) with command_id, and for
// details an optional version (the child's, as read: another change since
// is a 409). Answers {"command"}: 200 applied, 202 pending, 409 rejected.

// careMeta is what a care write carries beside its payload.
type careMeta struct {
	CommandID string `json:"command_id"`
	Version   uint64 `json:"version"`
}

func (s *Server) apiCareDetails(c echo.Context) error {
	var p store.Payload
	var m careMeta
	var err error
	switch c.Param("register") {
	case store.CareLeftBehindRegister:
		var in struct {
			store.CareLeftBehind
			careMeta
		}
		err, p, m = decodeJSON(c, &in), &in.CareLeftBehind, in.careMeta
	case store.CareDisabledRegister:
		var in struct {
			store.CareDisability
			careMeta
		}
		err, p, m = decodeJSON(c, &in), &in.CareDisability, in.careMeta
	case store.CareMigrantRegister:
		var in struct {
			store.CareMigrant
			careMeta
		}
		err, p, m = decodeJSON(c, &in), &in.CareMigrant, in.careMeta
	default:
		return store.ErrNotFound
	}
	return s.apiCareWrite(c, p, m, err)
}

func (s *Server) apiCareLog(c echo.Context) error {
	var p store.Payload
	var m careMeta
	var err error
	switch c.Param("register") {
	case store.CareLeftBehindRegister:
		var in struct {
			store.CareContact
			careMeta
		}
		err, p, m = decodeJSON(c, &in), &in.CareContact, in.careMeta
	case store.CarePovertyRegister:
		var in struct {
			store.CareAid
			careMeta
		}
		err, p, m = decodeJSON(c, &in), &in.CareAid, in.careMeta
	case store.CareDisabledRegister:
		var in struct {
			store.CareVisit
			careMeta
		}
		err, p, m = decodeJSON(c, &in), &in.CareVisit, in.careMeta
	default:
		return store.ErrNotFound
	}
	return s.apiCareWrite(c, p, m, err)
}

// apiCareWrite submits a decoded care write (err: the decoding's).
func (s *Server) apiCareWrite(c echo.Context, p store.Payload, m careMeta, err error) error {
	u, rerr := requireWriter(c)
	if rerr != nil {
		return rerr
	}
	if err != nil {
		return err
	}
	r, err := s.execute(c, u, write{ID: m.CommandID, Payload: p, Version: m.Version, Check: func() error { return store.Check(p) }})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Command commandJSON `json:"command"`
	}{commandOf(r)})
}

package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/oklog/ulid/v2"

	"baoxue/store"
)

// registerCommandRoutes: GET /api/v1/commands/{id}, the result of a command
// (applied, rejected with the reason, pending in this node's outbox, or
// unknown: 404).
func (s *Server) registerCommandRoutes(api *echo.Group) {
	api.GET("/commands/:id", s.apiCommand)
}

func (s *Server) apiCommand(c echo.Context) error {
	r, ok, err := s.db.Result(c.Param("id"))
	if err != nil {
		return err
	}
	if !ok {
		// Not in the register yet: it may wait in this node's outbox.
		cmd, pending, err := s.cfg.Pending.PendingCommand(c.Param("id"))
		if err != nil {
			return err
		}
		r, ok = store.Result{CommandID: c.Param("id"), State: store.StatePending, User: cmd.Actor.User}, pending
	}
	if u, _ := userOf(c); !ok || (r.User != u.Username && u.Role != store.RoleAdmin) {
		return store.ErrNotFound // another user's command is not theirs to see
	}
	return c.JSON(http.StatusOK, struct {
		ID     string `json:"id"`
		State  string `json:"state"`
		Reason string `json:"reason"`
		Index  uint64 `json:"index"`
	}{r.CommandID, r.State, r.Reason, r.Index})
}

// write is one change a handler asks of the register: its payload, checked
// first against the local replica, then submitted as a command.
type write struct {
	ID      string        // the client's command id; "" makes a new ULID
	Payload store.Payload // names the command's kind
	Version uint64        // the version the user saw (edits)
	// Check validates the input against the local replica before anything is
	// submitted (nil: no check). Its *store.FieldError becomes a 400.
	Check func() error
}

// execute runs a write: a command id the register has already judged is
// answered with that first result (so a client may resend a request
// safely); otherwise the input is checked, the command built and submitted.
// It returns the result and, when the command was not applied, a
// *rejectedError or *pendingError.
func (s *Server) execute(c echo.Context, u store.User, w write) (store.Result, error) {
	if w.ID != "" {
		if err := checkCommandID(w.ID); err != nil {
			return store.Result{}, err
		}
		r, ok, err := s.db.Result(w.ID)
		if err != nil {
			return store.Result{}, err
		}
		if ok && r.User != u.Username {
			return store.Result{}, &store.FieldError{Field: "command_id", Code: "used", Message: "this command id was used by another user"}
		}
		digest := requestDigest(c)
		if !ok {
			// It may wait in this node's outbox, which answers a resend
			// with the queued command's result.
			var queued store.Command
			if queued, ok, err = s.cfg.Pending.PendingCommand(w.ID); err != nil {
				return store.Result{}, err
			}
			r = store.Result{RequestDigest: queued.RequestDigest}
			ok = ok && queued.Actor.User == u.Username
		}
		if ok && !r.SameRequest(store.Command{RequestDigest: digest}) {
			return store.Result{}, &rejectedError{res: store.Result{CommandID: w.ID, State: store.StateRejected, Code: store.CodeConflict,
				Field: "command_id", User: u.Username, Reason: "this command id was used for another request: send a new command id"}}
		}
		if ok && r.State != "" {
			return outcome(r)
		}
	} else {
		w.ID = newCommandID()
	}
	if w.Check != nil {
		if err := w.Check(); err != nil {
			return store.Result{}, err
		}
	}
	cmd, err := store.NewCommand(w.ID, store.Actor{User: u.Username, Role: u.Role, Node: s.cfg.NodeID}, w.Payload)
	if err != nil {
		return store.Result{}, fmt.Errorf("encode %s: %w", w.Payload.Kind(), err)
	}
	cmd.Version = w.Version
	cmd.RequestDigest = requestDigest(c)
	r, err := s.rep.Submit(c.Request().Context(), cmd)
	if err != nil {
		return r, fmt.Errorf("submit %s: %w", cmd.Kind, err)
	}
	return outcome(r)
}

// requestDigest names the request a command is made from: its method,
// path and body (a JSON body as sent; a form's fields without its CSRF
// token, sorted), hashed.
func requestDigest(c echo.Context) string {
	req := c.Request()
	h := sha256.New()
	io.WriteString(h, req.Method+" "+req.URL.Path+"\n")
	if d, ok := c.Get(ctxBodyDigest).(string); ok {
		io.WriteString(h, "json "+d)
	} else if req.PostForm != nil {
		f := url.Values{}
		for k, v := range req.PostForm {
			if k != csrfField {
				f[k] = v
			}
		}
		io.WriteString(h, "form "+f.Encode())
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// outcome turns a result that is not "applied" into an error.
func outcome(r store.Result) (store.Result, error) {
	switch r.State {
	case store.StateApplied:
		return r, nil
	case store.StateRejected:
		return r, &rejectedError{res: r}
	default:
		return r, &pendingError{res: r}
	}
}

// newCommandID makes a command id. ULIDs sort by time; ulid.Make is safe
// for concurrent use.
func newCommandID() string { return ulid.Make().String() }

// checkCommandID accepts a client's command id: 1 to 128 letters, digits,
// '-' or '_' (a ULID or a UUID fits).
func checkCommandID(id string) error {
	ok := len(id) >= 1 && len(id) <= 128
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') {
			ok = false
		}
	}
	if !ok {
		return &store.FieldError{Field: "command_id", Code: "format", Message: "command_id must be 1 to 128 letters, digits, - or _"}
	}
	return nil
}

package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"baoxue/store"
)

// Errors of the ui package itself. Everything a handler returns is mapped to
// a status in one place: statusOf.
var (
	errUnauthenticated = errors.New("not logged in")                 // 401
	errForbidden       = errors.New("not allowed for this user")     // 403
	errCSRF            = errors.New("missing or invalid form token") // 403
	errBadCredentials  = errors.New("wrong username or password")    // 401
	errDisabled        = errors.New("this account is disabled")      // 403, only after the right password
	// errNotReady: the register has no district yet (a node that serves
	// before its bootstrap has applied, or before it caught up): a login
	// cannot succeed yet, and is not a wrong password (503).
	errNotReady = errors.New("the register has no district yet: the node is still starting; try again shortly")
	// errMustChangePassword: an administrator reset the user's password;
	// nothing but the change is allowed until it is made (403).
	errMustChangePassword = errors.New("the password was reset: change it first (POST /api/v1/users/{username}/password)")
)

// rejectedError is a command the register judged and refused (409).
type rejectedError struct {
	res store.Result
}

func (e *rejectedError) Error() string {
	return "command rejected: " + e.res.Code + ": " + e.res.Reason
}

// pendingError is not an error to the user: the command is queued (202).
// Handlers that can say more (forms) catch it before it gets here.
type pendingError struct {
	res store.Result
}

func (e *pendingError) Error() string { return "command pending" }

// statusOf is the one error-to-status map of the package.
func statusOf(err error) int {
	var fe *store.FieldError
	var rej *rejectedError
	var pend *pendingError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &rej):
		return http.StatusConflict
	case errors.As(err, &pend):
		return http.StatusAccepted
	case errors.As(err, &fe), errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrUnavailable), errors.Is(err, ErrDiskFull), errors.Is(err, errNotReady):
		return http.StatusServiceUnavailable
	case errors.Is(err, errUnauthenticated), errors.Is(err, errBadCredentials):
		return http.StatusUnauthorized
	case errors.Is(err, errForbidden), errors.Is(err, errCSRF), errors.Is(err, errDisabled), errors.Is(err, errMustChangePassword):
		return http.StatusForbidden
	case errors.As(err, new(*loginThrottled)), errors.As(err, new(*bulkLimitError)):
		return http.StatusTooManyRequests
	case errors.As(err, &he):
		return he.Code
	}
	return http.StatusInternalServerError
}

// isAPI reports whether the request is answered with JSON rather than HTML.
func isAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return strings.HasPrefix(p, "/api/") || p == "/healthz"
}

// handleError is echo's HTTPErrorHandler: it answers err as JSON for the API
// and as an HTML page otherwise. Internal errors are logged in full and
// answered with a plain apology.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := statusOf(err)
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)
	var bl *bulkLimitError
	var th *loginThrottled
	switch {
	case errors.As(err, &bl):
		c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(int(bl.retry.Seconds())))
	case errors.As(err, &th):
		c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(retrySeconds(th.retry)))
	}
	switch {
	case errors.Is(err, ErrDiskFull):
		s.log.Error("write refused: disk full", "err", err, "path", c.Request().URL.Path, "request_id", reqID)
	case errors.Is(err, ErrUnavailable):
		s.log.Warn("register unavailable", "err", err, "path", c.Request().URL.Path, "request_id", reqID)
	case status >= 500:
		s.log.Error("request failed", "err", err, "method", c.Request().Method,
			"path", c.Request().URL.Path, "request_id", reqID)
	}
	var rerr error
	if isAPI(c) {
		rerr = c.JSON(status, apiErrorBody(err, status, reqID))
	} else {
		rerr = s.renderError(c, status, err)
	}
	if rerr != nil {
		s.log.Error("write error response", "err", rerr, "request_id", reqID)
	}
}

// commandJSON is a command's result as the API shows it.
type commandJSON struct {
	ID     string `json:"id"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	Index  uint64 `json:"index,omitempty"`
}

func commandOf(r store.Result) commandJSON {
	return commandJSON{ID: r.CommandID, State: r.State, Reason: r.Reason, Index: r.Index}
}

// apiErrorBody is the JSON body answering err. Its "error" is always safe to
// show: internal errors become a plain apology.
func apiErrorBody(err error, status int, reqID string) any {
	var fe *store.FieldError
	var rej *rejectedError
	var pend *pendingError
	switch {
	case errors.As(err, &rej):
		return struct {
			Error      string      `json:"error"`
			Command    commandJSON `json:"command"`
			Code       string      `json:"code"`
			Field      string      `json:"field,omitempty"`
			ExistingID string      `json:"existing_id,omitempty"`
		}{rej.res.Reason, commandOf(rej.res), rej.res.Code, rej.res.Field, rej.res.ExistingID}
	case errors.As(err, &pend):
		return map[string]any{"command": commandOf(pend.res)}
	case errors.As(err, new(*bulkLimitError)):
		var bl *bulkLimitError
		errors.As(err, &bl)
		return map[string]any{"error": err.Error(), "code": "bulk_limit", "retry_after": int(bl.retry.Seconds())}
	case errors.As(err, new(*loginThrottled)):
		var th *loginThrottled
		errors.As(err, &th)
		return map[string]any{"error": err.Error(), "code": "throttled", "retry_after": retrySeconds(th.retry)}
	case errors.Is(err, errMustChangePassword):
		return map[string]string{"error": err.Error(), "code": "must_change_password"}
	case errors.As(err, &fe):
		if fe.Field == "" {
			return map[string]string{"error": fe.Message}
		}
		return map[string]string{"error": fe.Message, "field": fe.Field}
	}
	msg := http.StatusText(status)
	switch {
	case status >= 500 && status != http.StatusServiceUnavailable:
		msg = "Sorry, something went wrong on our side. Please try again; if it keeps happening, tell your administrator the request id."
		return map[string]string{"error": msg, "request_id": reqID}
	case errors.Is(err, ErrDiskFull):
		msg = "The register cannot take changes: the disk is full. Tell your administrator to free space; writes resume by themselves once it is freed."
	case errors.Is(err, ErrUnavailable):
		msg = "The register cannot take changes right now (no connection to the leader). Please try again later."
	case errors.Is(err, errNotReady):
		msg = err.Error()
	case errors.Is(err, store.ErrInvalid), errors.Is(err, errUnauthenticated),
		errors.Is(err, errForbidden), errors.Is(err, errCSRF), errors.Is(err, errBadCredentials), errors.Is(err, errDisabled),
		errors.As(err, new(*loginThrottled)):
		msg = err.Error()
	}
	return map[string]string{"error": msg}
}

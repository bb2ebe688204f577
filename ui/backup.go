package ui

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// Backups makes online backups of this node (implemented by package node).
type Backups interface {
	// Backup prepares an archive of the running node (register, local
	// file with the outbox, certificates, the CA key where it lives) and
	// returns it with a file name. Writes continue meanwhile. The caller
	// closes the reader.
	Backup(ctx context.Context) (io.ReadCloser, string, error)
}

// registerBackupRoutes: GET /api/v1/admin/backup, administrators only.
func (s *Server) registerBackupRoutes(api *echo.Group) {
	api.GET("/admin/backup", s.backup)
}

func (s *Server) backup(c echo.Context) error {
	if _, err := requireAdmin(c); err != nil {
		return err
	}
	if s.cfg.Backups == nil {
		return ErrUnavailable
	}
	rc, name, err := s.cfg.Backups.Backup(c.Request().Context())
	if err != nil {
		return err
	}
	defer rc.Close()
	// A large register takes longer than the server's write timeout to
	// download over a township link.
	_ = http.NewResponseController(c.Response().Writer).SetWriteDeadline(time.Now().Add(time.Hour))
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Stream(http.StatusOK, "application/gzip", rc)
}

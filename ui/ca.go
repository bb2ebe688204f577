package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// registerCARoutes: the district CA's certificate, which a school PC
// downloads and installs once so that it trusts every node's web port
// (/ca explains how, /ca.crt is the file). No login: the certificate is
// public, and a PC needs it before it can trust the login page.
func (s *Server) registerCARoutes(pages *echo.Group) {
	pages.GET("/ca", s.caPage)
	pages.GET("/ca.crt", s.caFile)
}

type caPage struct {
	basePage
	Fingerprint string // SHA-256 of the certificate, in colon-separated pairs, to compare
}

func (s *Server) caPage(c echo.Context) error {
	if s.cfg.CACert == nil {
		return echo.ErrNotFound
	}
	sum := sha256.Sum256(s.cfg.CACert)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	pairs := make([]string, 0, len(h)/2)
	for i := 0; i < len(h); i += 2 {
		pairs = append(pairs, h[i:i+2])
	}
	return c.Render(http.StatusOK, "ca.html", caPage{basePage: s.base(c, "title.ca", "connect"), Fingerprint: strings.Join(pairs, ":")})
}

// caFile answers the certificate in PEM, as Windows, macOS, Android and iOS
// install it from a download.
func (s *Server) caFile(c echo.Context) error {
	if s.cfg.CACert == nil {
		return echo.ErrNotFound
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="baoxue-district-ca.crt"`)
	return c.Blob(http.StatusOK, "application/x-x509-ca-cert", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cfg.CACert}))
}

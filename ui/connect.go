package ui

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"rsc.io/qr"
)

// LAN tells how this node is announced on its LAN (implemented in package
// node, over its mDNS advertiser).
type LAN interface {
	// LAN is the advertisement now. Safe for concurrent use.
	LAN() LANInfo
}

// LANInfo is what the node advertises on its LAN; Advertising is false when
// mDNS is off or no interface is usable.
type LANInfo struct {
	Advertising bool
	Instance    string // e.g. "拉堡镇 baoxue"
	Host        string // e.g. "township-server.local"
	Port        int
	Interfaces  []LANInterface
}

// LANInterface is one interface advertised on.
type LANInterface struct {
	Name string
	IPs  []string
}

// registerConnectRoutes: the "connect a school" page (学校接入), the
// addresses a school should use to reach this node.
func (s *Server) registerConnectRoutes(pages *echo.Group) {
	pages.GET("/connect", s.connectPage)
}

type connectPage struct {
	basePage
	LAN      LANInfo
	LocalURL *connectURL   // https://HOST.local:PORT (http:// when plain), when advertising
	IPURLs   []*connectURL // one per advertised address
	ThisURL  *connectURL   // the address this browser used, when not advertising
	CA       bool          // link the district CA's page (HTTPS with the district's certificate)
}

// connectURL is an address with its QR code as a data: URI (no external
// service: the code is made here).
type connectURL struct {
	URL string
	QR  template.URL
}

func (s *Server) connectPage(c echo.Context) error {
	p := connectPage{basePage: s.base(c, "title.connect", "connect")}
	if s.cfg.LAN != nil {
		p.LAN = s.cfg.LAN.LAN()
	}
	p.CA = s.cfg.CACert != nil && s.cfg.HTTPS
	scheme := "http://"
	if s.cfg.HTTPS {
		scheme = "https://"
	}
	var err error
	if p.LAN.Advertising {
		port := strconv.Itoa(p.LAN.Port)
		if p.LocalURL, err = newConnectURL(scheme + net.JoinHostPort(p.LAN.Host, port) + "/"); err != nil {
			return err
		}
		for _, i := range p.LAN.Interfaces {
			for _, ip := range i.IPs {
				u, err := newConnectURL(scheme + net.JoinHostPort(ip, port) + "/")
				if err != nil {
					return err
				}
				p.IPURLs = append(p.IPURLs, u)
			}
		}
	} else if p.ThisURL, err = newConnectURL(scheme + c.Request().Host + "/"); err != nil {
		return err
	}
	return c.Render(http.StatusOK, "connect.html", p)
}

// newConnectURL encodes u as a QR code (PNG, medium error correction).
func newConnectURL(u string) (*connectURL, error) {
	code, err := qr.Encode(u, qr.M)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	code.Scale = 6
	return &connectURL{URL: u, QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(code.PNG()))}, nil
}

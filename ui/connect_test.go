package ui

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

type fakeLAN LANInfo

func (f fakeLAN) LAN() LANInfo { return LANInfo(f) }

func TestConnectPage(t *testing.T) {
	e := newEnv(t)
	e.srv.cfg.LAN = fakeLAN{Advertising: true, Instance: "拉堡镇 baoxue <b>", Host: "township-server.local", Port: 8080,
		Interfaces: []LANInterface{{Name: "eth0", IPs: []string{"10.0.0.5", "fd00::5"}}, {Name: "wlan0", IPs: []string{"192.168.1.7"}}}}
	b := e.browser()
	b.login("admin", adminPassword)
	r := b.get("/connect").want(t, http.StatusOK, "connect page")
	doc := parseHTML(t, r)
	if h1 := text(find(doc, func(n *html.Node) bool { return n.Data == "h1" })); h1 != "学校接入" {
		t.Errorf("h1 %q, want 学校接入 (Chinese by default)", h1)
	}
	if got := text(find(doc, byID("connect-instance"))); got != "拉堡镇 baoxue <b>" {
		t.Errorf("instance shown as %q", got)
	}

	// Every address a school should use, each as a link with its QR code.
	var urls []string
	for _, sec := range findAll(doc, func(n *html.Node) bool { return n.Data == "section" }) {
		a := find(sec, func(n *html.Node) bool { return n.Data == "a" })
		img := find(sec, func(n *html.Node) bool { return n.Data == "img" })
		if a == nil || img == nil {
			t.Fatalf("section without link or QR code: %s", r.body)
		}
		urls = append(urls, attr(a, "href"))
		src := attr(img, "src")
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(src, "data:image/png;base64,"))
		if !strings.HasPrefix(src, "data:image/png;base64,") || err != nil {
			t.Fatalf("QR code for %s is not an inline PNG: %.60q", attr(a, "href"), src)
		}
		if img, err := png.Decode(bytes.NewReader(raw)); err != nil || img.Bounds().Dx() < 100 {
			t.Errorf("QR code for %s: %v", attr(a, "href"), err)
		}
	}
	want := []string{"http://township-server.local:8080/", "http://10.0.0.5:8080/", "http://[fd00::5]:8080/", "http://192.168.1.7:8080/"}
	if strings.Join(urls, " ") != strings.Join(want, " ") {
		t.Errorf("addresses %q, want %q", urls, want)
	}
	var ifaces []string
	for _, td := range findAll(find(doc, byID("connect-interfaces")), func(n *html.Node) bool { return n.Data == "td" }) {
		ifaces = append(ifaces, text(td))
	}
	if got := strings.Join(ifaces, " | "); got != "eth0 | 10.0.0.5, fd00::5 | wlan0 | 192.168.1.7" {
		t.Errorf("interfaces table %q", got)
	}

	en := parseHTML(t, b.get("/connect?lang=en").want(t, http.StatusOK, "connect page in English"))
	if h1 := text(find(en, func(n *html.Node) bool { return n.Data == "h1" })); h1 != "Connect a school" {
		t.Errorf("English h1 %q", h1)
	}
}

func TestConnectPageNotAdvertising(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("admin", adminPassword)
	doc := parseHTML(t, b.get("/connect").want(t, http.StatusOK, "connect page"))
	if find(doc, byID("connect-off")) == nil {
		t.Error("no notice that the node does not advertise")
	}
	a := find(find(doc, byID("connect-this")), func(n *html.Node) bool { return n.Data == "a" })
	if a == nil || attr(a, "href") != e.ts.URL+"/" {
		t.Errorf("this page's address: %v, want %s/", a, e.ts.URL)
	}
}

// TestConnectPageHTTPS: a node on HTTPS hands out https:// addresses and
// links the page where a school PC gets the district CA once; that page
// and the certificate need no login.
func TestConnectPageHTTPS(t *testing.T) {
	e := newEnv(t)
	ca := []byte("not a real certificate, only its bytes")
	e.srv.cfg.HTTPS, e.srv.cfg.CACert = true, ca
	e.srv.cfg.LAN = fakeLAN{Advertising: true, Host: "township-server.local", Port: 8443,
		Interfaces: []LANInterface{{Name: "eth0", IPs: []string{"10.0.0.5"}}}}
	b := e.browser()
	b.login("admin", adminPassword)
	doc := parseHTML(t, b.get("/connect").want(t, http.StatusOK, "connect page"))
	var urls []string
	for _, sec := range findAll(doc, func(n *html.Node) bool { return n.Data == "section" }) {
		urls = append(urls, attr(find(sec, func(n *html.Node) bool { return n.Data == "a" }), "href"))
	}
	if want := "https://township-server.local:8443/ https://10.0.0.5:8443/"; strings.Join(urls, " ") != want {
		t.Errorf("addresses %q, want %q", urls, want)
	}
	link := find(find(doc, byID("connect-ca")), func(n *html.Node) bool { return n.Data == "a" })
	if link == nil || attr(link, "href") != "/ca" {
		t.Fatalf("no link to the district CA's page on /connect")
	}

	anon := e.browser()
	page := parseHTML(t, anon.get("/ca").want(t, http.StatusOK, "CA page without login"))
	sum := sha256.Sum256(ca)
	if got := strings.ReplaceAll(text(find(page, byID("ca-fingerprint"))), ":", ""); !strings.EqualFold(got, hex.EncodeToString(sum[:])) {
		t.Errorf("fingerprint shown %q, want the certificate's SHA-256", got)
	}
	r := anon.get("/ca.crt").want(t, http.StatusOK, "CA certificate without login")
	block, _ := pem.Decode(r.body)
	if block == nil || block.Type != "CERTIFICATE" || !bytes.Equal(block.Bytes, ca) || !strings.Contains(r.header.Get("Content-Type"), "x509-ca-cert") {
		t.Errorf("/ca.crt: %s %q, want the CA in PEM", r.header.Get("Content-Type"), r.body)
	}
}

package node

// The web port over HTTPS: a certificate from the district (cluster) CA for
// the node's addresses and its .local name, or the operator's; plain HTTP
// only with Config.PlainHTTP.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"baoxue/node/mdns"
	"baoxue/sync/pki"
)

// webTLS is the web port's TLS configuration, or nil for plain HTTP.
func (n *Node) webTLS(ctx context.Context, ln net.Listener) (*tls.Config, error) {
	if n.cfg.PlainHTTP {
		return nil, nil
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; n.cfg.PlainLoopback && n.cfg.HTTPSCert == "" && ip.IsLoopback() {
		n.log.Info("web port on loopback only: plain HTTP (--http-plain=false for HTTPS)")
		return nil, nil
	}
	var cert tls.Certificate
	var err error
	if n.cfg.HTTPSCert != "" {
		if cert, err = tls.LoadX509KeyPair(n.cfg.HTTPSCert, n.cfg.HTTPSKey); err != nil {
			return nil, fmt.Errorf("--https-cert/--https-key: %w", err)
		}
	} else if cert, err = n.districtWebCert(ctx, webNames(ln.Addr())); err != nil {
		return nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// districtWebCert returns the web certificate in DATA/tls when it covers
// names and is not about to expire, else has the cluster CA issue a new one
// (here on the CA node, else by a CA node). When no CA node answers, a
// certificate that is still valid is used with a warning.
func (n *Node) districtWebCert(ctx context.Context, names pki.WebNames) (tls.Certificate, error) {
	id, err := pki.Load(n.cfg.DataDir)
	if err != nil {
		return tls.Certificate{}, err
	}
	old, ok, err := pki.LoadWeb(n.cfg.DataDir, id.CACert)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	if ok && pki.WebCovers(old.Leaf, names, now) {
		return old, nil
	}
	key, csr, err := pki.NewWebCSR(n.cfg.NodeID, names)
	if err != nil {
		return tls.Certificate{}, err
	}
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	der, err := n.rep.SignWebCert(sctx, csr)
	if err != nil {
		if ok && now.Before(old.Leaf.NotAfter) {
			n.log.Warn("web certificate not renewed (it does not name every address, or expires soon); using the old one",
				"expires", old.Leaf.NotAfter, "err", err)
			return old, nil
		}
		return tls.Certificate{}, fmt.Errorf("web certificate from the district CA: %w "+
			"(start again when the CA node is reachable, or give --https-cert and --https-key, or --http-plain)", err)
	}
	if err := pki.WriteWebFiles(n.cfg.DataDir, key, der); err != nil {
		return tls.Certificate{}, err
	}
	cert, ok, err := pki.LoadWeb(n.cfg.DataDir, id.CACert)
	if err == nil && !ok {
		err = errors.New("the district CA's web certificate does not verify")
	}
	n.log.Info("web certificate issued by the district CA", "names", strings.Join(names.DNS, ","), "ips", len(names.IPs))
	return cert, err
}

// webNames are the addresses a school may use for this node: the address
// the web port is bound to (every interface's when it is bound to all of
// them), localhost on loopback, and the machine's .local name.
func webNames(addr net.Addr) pki.WebNames {
	names := pki.WebNames{DNS: []string{mdns.LocalHostName()}}
	ip := addr.(*net.TCPAddr).IP
	ips := []net.IP{ip}
	if ip == nil || ip.IsUnspecified() {
		ips = nil
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLinkLocalUnicast() {
					ips = append(ips, ipn.IP)
				}
			}
		}
	}
	for _, ip := range ips {
		if ip.IsLoopback() && len(names.DNS) == 1 {
			names.DNS = append(names.DNS, "localhost")
		}
		names.IPs = append(names.IPs, ip)
	}
	return names
}

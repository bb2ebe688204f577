package mdns

// What we add around grandcat/zeroconf v1.0.0, and why.
//
// zeroconf answers multicast DNS queries and announces the service, but two
// things it does differ from RFC 6762, and mDNS software we did not write
// notices:
//
//  1. It sends with the socket's default IP TTL: 1 for multicast, 64 for
//     unicast. §11 says every mDNS response SHOULD go out with IP TTL 255,
//     and queriers such as mdns-scan drop any response that does not, as a
//     cheap check that it came from the local link. zeroconf keeps its
//     sockets unexported, so raiseMDNSTTL (ttl_linux.go) sets
//     IP_MULTICAST_TTL/IP_TTL (and the IPv6 hop limits) to 255 on every UDP
//     socket of this process bound to port 5353, right after zeroconf opens
//     them and before it announces (the first probe may still leave with TTL
//     1; probes are queries, and avahi accepts them).
//  2. It does not answer legacy unicast queries (§6.7): a one-shot query from
//     a port other than 5353, such as `dig @224.0.0.251 -p 5353`, which
//     expects a unicast reply to its own port, with its query id and
//     question echoed. zeroconf multicasts an answer to port 5353 instead, so
//     dig times out. legacyResponder is a second socket on port 5353
//     (SO_REUSEADDR, as zeroconf's; multicast is delivered to both) that
//     answers only those queries, only for our records, over IPv4, with
//     record TTLs of at most 10 s and IP TTL 255. Queries from port 5353 it
//     leaves to zeroconf.

import (
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"

	"github.com/miekg/dns"
	"golang.org/x/net/ipv4"
)

const (
	mdnsPort = 5353
	// legacyTTL caps the record TTL in legacy unicast answers (§6.7).
	legacyTTL = 10
)

var mdnsGroupV4 = net.IPv4(224, 0, 0, 251)

// legacyResponder answers legacy unicast mDNS queries for one
// advertisement. Safe for concurrent use; Close waits for it to stop.
type legacyResponder struct {
	adv  Advertisement
	log  *slog.Logger
	conn *ipv4.PacketConn
	wg   sync.WaitGroup

	// Names in canonical presentation form, to compare with questions.
	service, instance, host, enum string
}

// openLegacyResponder listens on port 5353 on the advertisement's
// interfaces and answers until Close.
func openLegacyResponder(adv Advertisement, log *slog.Logger) (*legacyResponder, error) {
	// A multicast address makes the net package bind 0.0.0.0:5353 with
	// SO_REUSEADDR, as zeroconf's own socket is bound.
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: mdnsGroupV4, Port: mdnsPort})
	if err != nil {
		return nil, err
	}
	p := ipv4.NewPacketConn(c)
	joined := 0
	for _, i := range adv.Interfaces {
		ifc := net.Interface{Name: i.Name, Index: i.Index}
		if err := p.JoinGroup(&ifc, &net.UDPAddr{IP: mdnsGroupV4}); err == nil {
			joined++
		}
	}
	if joined == 0 {
		c.Close()
		return nil, errNoGroup
	}
	if err := p.SetControlMessage(ipv4.FlagInterface, true); err != nil {
		c.Close()
		return nil, err
	}
	p.SetTTL(255)
	p.SetMulticastTTL(255)
	r := &legacyResponder{adv: adv, log: log, conn: p,
		service:  canonicalName(mdnsService + "." + mdnsDomain),
		instance: canonicalName(adv.Instance + "." + mdnsService + "." + mdnsDomain),
		host:     canonicalName(adv.Host + "."),
		enum:     canonicalName("_services._dns-sd._udp." + mdnsDomain),
	}
	r.wg.Add(1)
	go r.serve()
	return r, nil
}

var errNoGroup = errors.New("could not join 224.0.0.251 on any interface")

// Close stops answering.
func (r *legacyResponder) Close() {
	r.conn.Close()
	r.wg.Wait()
}

func (r *legacyResponder) serve() {
	defer r.wg.Done()
	buf := make([]byte, 9000)
	for {
		n, cm, from, err := r.conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		src, ok := from.(*net.UDPAddr)
		if !ok || src.Port == mdnsPort {
			continue // a full mDNS querier: zeroconf answers it
		}
		var q dns.Msg
		if q.Unpack(buf[:n]) != nil || q.Response || q.Opcode != dns.OpcodeQuery || len(q.Question) == 0 {
			continue
		}
		ifIndex := 0
		if cm != nil {
			ifIndex = cm.IfIndex
		}
		resp := r.answer(&q, ifIndex)
		if resp == nil {
			continue
		}
		out, err := resp.Pack()
		if err != nil {
			continue
		}
		var wcm *ipv4.ControlMessage
		if ifIndex != 0 {
			wcm = &ipv4.ControlMessage{IfIndex: ifIndex}
		}
		if _, err := r.conn.WriteTo(out, wcm, src); err != nil {
			r.log.Debug("legacy unicast answer not sent", "to", src, "err", err)
		}
	}
}

// answer builds the unicast reply to a legacy query, or nil when none of its
// questions is about our records: the query id and the questions echoed,
// record TTLs at most legacyTTL, no cache-flush bits (§6.7, §10.2).
func (r *legacyResponder) answer(q *dns.Msg, ifIndex int) *dns.Msg {
	resp := new(dns.Msg)
	resp.SetReply(q)
	resp.Question = q.Question
	resp.Authoritative = true
	resp.RecursionAvailable = false
	ips := r.ipsFor(ifIndex)
	for _, qu := range q.Question {
		name := canonicalName(qu.Name)
		t := qu.Qtype
		any := t == dns.TypeANY
		switch {
		case name == r.service && (t == dns.TypePTR || any):
			resp.Answer = append(resp.Answer, r.ptr())
			resp.Extra = append(resp.Extra, r.srv(), r.txt())
			resp.Extra = append(resp.Extra, r.addrs(ips)...)
		case name == r.enum && (t == dns.TypePTR || any):
			resp.Answer = append(resp.Answer, &dns.PTR{Hdr: r.hdr(qu.Name, dns.TypePTR), Ptr: mdnsService + "." + mdnsDomain})
		case name == r.instance:
			if t == dns.TypeSRV || any {
				resp.Answer = append(resp.Answer, r.srv())
			}
			if t == dns.TypeTXT || any {
				resp.Answer = append(resp.Answer, r.txt())
			}
			if t == dns.TypeSRV {
				resp.Extra = append(resp.Extra, r.addrs(ips)...)
			}
		case name == r.host && (t == dns.TypeA || t == dns.TypeAAAA || any):
			for _, rr := range r.addrs(ips) {
				if any || rr.Header().Rrtype == t {
					resp.Answer = append(resp.Answer, rr)
				}
			}
		}
	}
	if len(resp.Answer) == 0 {
		return nil
	}
	return resp
}

func (r *legacyResponder) hdr(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: legacyTTL}
}

func (r *legacyResponder) instanceFQDN() string {
	return r.adv.Instance + "." + mdnsService + "." + mdnsDomain
}

func (r *legacyResponder) ptr() dns.RR {
	return &dns.PTR{Hdr: r.hdr(mdnsService+"."+mdnsDomain, dns.TypePTR), Ptr: r.instanceFQDN()}
}

func (r *legacyResponder) srv() dns.RR {
	return &dns.SRV{Hdr: r.hdr(r.instanceFQDN(), dns.TypeSRV), Port: uint16(r.adv.Port), Target: r.adv.Host + "."}
}

func (r *legacyResponder) txt() dns.RR {
	return &dns.TXT{Hdr: r.hdr(r.instanceFQDN(), dns.TypeTXT), Txt: r.adv.Text}
}

func (r *legacyResponder) addrs(ips []net.IP) []dns.RR {
	var out []dns.RR
	for _, ip := range ips {
		if v4 := ip.To4(); v4 != nil {
			out = append(out, &dns.A{Hdr: r.hdr(r.adv.Host+".", dns.TypeA), A: v4})
		} else {
			out = append(out, &dns.AAAA{Hdr: r.hdr(r.adv.Host+".", dns.TypeAAAA), AAAA: ip})
		}
	}
	return out
}

// ipsFor is the addresses of the interface a query came in on, or all.
func (r *legacyResponder) ipsFor(ifIndex int) []net.IP {
	for _, i := range r.adv.Interfaces {
		if i.Index == ifIndex {
			return i.IPs
		}
	}
	return r.adv.ips()
}

// canonicalName is a domain name in miekg/dns presentation form (escapes for
// spaces and non-ASCII bytes), lower case, fully qualified: the form names
// take once unpacked from the wire.
func canonicalName(name string) string {
	buf := make([]byte, 256)
	off, err := dns.PackDomainName(dns.Fqdn(name), buf, 0, nil, false)
	if err != nil {
		return strings.ToLower(dns.Fqdn(name))
	}
	s, _, err := dns.UnpackDomainName(buf[:off], 0)
	if err != nil {
		return strings.ToLower(dns.Fqdn(name))
	}
	return strings.ToLower(s)
}

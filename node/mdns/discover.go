package mdns

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/grandcat/zeroconf"
)

// Peer is a baoxue node found on the LAN.
type Peer struct {
	Name        string   `json:"name"` // instance name, e.g. "拉堡镇 baoxue"
	NodeID      string   `json:"id"`
	Role        string   `json:"role"`     // bureau or township
	Township    string   `json:"township"` // township code; empty for a bureau node
	Cluster     string   `json:"cluster"`
	ClusterAddr string   `json:"cluster_addr"`
	Version     string   `json:"version"`
	CA          bool     `json:"ca"`   // holds the cluster CA key: can admit a joining node
	Host        string   `json:"host"` // e.g. "township-server.local"
	Port        int      `json:"port"`
	IPs         []string `json:"ips"`
	URL         string   `json:"url"`    // http://HOST.local:PORT
	IPURL       string   `json:"ip_url"` // http://IP:PORT
}

// Discover browses the LAN for baoxue nodes until ctx is done, then returns
// what answered, sorted by name. Discovery is never authentication: anyone
// on the LAN can answer. It returns an error only when it cannot listen.
func Discover(ctx context.Context) ([]Peer, error) {
	res, err := zeroconf.NewResolver(nil)
	if err != nil {
		return nil, fmt.Errorf("mdns: %w", err)
	}
	raiseMDNSTTL() // our queries too go out with TTL 255
	entries := make(chan *zeroconf.ServiceEntry, 16)
	if err := res.Browse(ctx, mdnsService, mdnsDomain, entries); err != nil {
		return nil, fmt.Errorf("mdns browse: %w", err)
	}
	byName := map[string]Peer{}
	for e := range entries { // closed when ctx is done
		p := peerOf(e)
		byName[p.Name+"\x00"+p.Host] = p
	}
	out := make([]Peer, 0, len(byName))
	for _, p := range byName {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Peer) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// DiscoverCluster browses the LAN until ctx is done and returns the cluster
// addresses of the nodes of cluster id for a join to try in order: nodes
// that hold the CA key (and so can admit a node) first, then bureau nodes.
// It returns ErrNotDiscovered when none answered.
func DiscoverCluster(ctx context.Context, id string) ([]string, error) {
	peers, err := Discover(ctx)
	if err != nil {
		return nil, err
	}
	rank := func(p Peer) int { return 2*boolRank(!p.CA) + boolRank(p.Role != "bureau") }
	slices.SortStableFunc(peers, func(a, b Peer) int { return rank(a) - rank(b) })
	var addrs []string
	for _, p := range peers {
		if p.Cluster != id || p.ClusterAddr == "" {
			continue
		}
		if a := dialable(p.ClusterAddr, p.IPs); a != "" && !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("cluster %s: %w", id, ErrNotDiscovered)
	}
	return addrs, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// dialable turns an advertised cluster address into one to dial: a node that
// binds all addresses (0.0.0.0:7400) is reached at the address it answered
// from; a loopback one cannot be reached from another machine.
func dialable(addr string, ips []string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	ip := net.ParseIP(host)
	switch {
	case host == "" || (ip != nil && ip.IsUnspecified()):
		if len(ips) == 0 {
			return ""
		}
		return net.JoinHostPort(ips[0], port)
	case ip != nil && ip.IsLoopback():
		return ""
	}
	return addr
}

// peerOf reads a browse result.
func peerOf(e *zeroconf.ServiceEntry) Peer {
	p := Peer{Name: Unescape(e.Instance), Host: strings.TrimSuffix(Unescape(e.HostName), "."), Port: e.Port}
	for _, kv := range e.Text {
		k, v, _ := strings.Cut(Unescape(kv), "=")
		switch k {
		case "id":
			p.NodeID = v
		case "role":
			p.Role = v
		case "town":
			p.Township = v
		case "cluster":
			p.Cluster = v
		case "cluster_addr":
			p.ClusterAddr = v
		case "v":
			p.Version = v
		case "ca":
			p.CA = v == "1"
		}
	}
	for _, ip := range e.AddrIPv4 {
		p.IPs = append(p.IPs, ip.String())
	}
	for _, ip := range e.AddrIPv6 {
		if !ip.IsLinkLocalUnicast() {
			p.IPs = append(p.IPs, ip.String())
		}
	}
	port := strconv.Itoa(p.Port)
	if p.Host != "" {
		p.URL = "http://" + net.JoinHostPort(p.Host, port)
	}
	if len(p.IPs) > 0 {
		p.IPURL = "http://" + net.JoinHostPort(p.IPs[0], port)
	}
	return p
}

// Unescape undoes miekg/dns presentation escapes (\DDD and \X), which
// names and TXT strings carry once unpacked: "拉堡镇\ baoxue" is
// "\230\139\137…\ baoxue" on the way in.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			n, _ := strconv.Atoi(s[i+1 : i+4])
			b.WriteByte(byte(n))
			i += 3
			continue
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Package mdns advertises a baoxue node on its LAN as the DNS-SD service
// _baoxue._tcp and finds the nodes that advertise, with grandcat/zeroconf, so
// that schools find their township node's web address and a new township
// machine finds its cluster (architecture.md, "Between nodes"). Around
// zeroconf v1.0.0 it sets IP TTL 255 on the mDNS sockets, which zeroconf
// leaves at 1 (RFC 6762 §11; mdns-scan drops such answers), and answers
// legacy unicast queries such as `dig @224.0.0.251 -p 5353`, which zeroconf
// ignores (§6.7), with a small companion responder on port 5353
// (responder.go says how and why).
package mdns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/grandcat/zeroconf"
)

const (
	mdnsService = "_baoxue._tcp"
	mdnsDomain  = "local."
)

// DefaultPoll is how often an Advertiser looks at the interfaces and at what
// it advertises, unless Config.Poll says otherwise: net.Interfaces and a
// register read, no packets.
const DefaultPoll = 5 * time.Second

// ErrNotDiscovered is returned by DiscoverCluster when no node of the cluster
// answered on the LAN.
var ErrNotDiscovered = errors.New("no node of the cluster answered on the LAN")

// Config configures advertising on the LAN.
type Config struct {
	// Enabled advertises the node as _baoxue._tcp on its LAN interfaces.
	// Tests and scripts that run a node outside a network namespace of their
	// own turn it off: no multicast may leave the machine.
	Enabled bool
	// Interfaces names the interfaces to advertise on. Empty: every interface
	// that is up, multicast-capable, not loopback and has an address. An
	// interface that comes up later is picked up within Poll.
	Interfaces []string
	// Poll is how often the interfaces and the advertised data are checked;
	// zero means DefaultPoll.
	Poll time.Duration
}

// Advertisement is what a node announces on its LAN.
type Advertisement struct {
	Instance   string                // readable name, e.g. "拉堡镇 baoxue"
	Host       string                // e.g. "township-server.local"
	Port       int                   // web UI port
	Text       []string              // TXT: id, role, town, cluster, cluster_addr, v, [ca=1]
	Interfaces []AdvertisedInterface // empty: nothing advertised
}

// AdvertisedInterface is one interface advertised on and its addresses.
type AdvertisedInterface struct {
	Name  string
	Index int
	IPs   []net.IP
}

// ips returns every address advertised, IPv4 first.
func (a Advertisement) ips() []net.IP {
	var v4, v6 []net.IP
	for _, i := range a.Interfaces {
		for _, ip := range i.IPs {
			if ip.To4() != nil {
				v4 = append(v4, ip)
			} else {
				v6 = append(v6, ip)
			}
		}
	}
	return append(v4, v6...)
}

func (a Advertisement) equal(b Advertisement) bool {
	if a.Instance != b.Instance || a.Host != b.Host || a.Port != b.Port || !slices.Equal(a.Text, b.Text) ||
		len(a.Interfaces) != len(b.Interfaces) {
		return false
	}
	for i := range a.Interfaces {
		x, y := a.Interfaces[i], b.Interfaces[i]
		if x.Name != y.Name || x.Index != y.Index || !slices.EqualFunc(x.IPs, y.IPs, net.IP.Equal) {
			return false
		}
	}
	return true
}

// Advertiser keeps a node's advertisement in step with its interfaces and
// with what ident says of the node: it re-registers (goodbye, then announce)
// whenever either changes. Safe for concurrent use.
type Advertiser struct {
	cfg   Config
	log   *slog.Logger
	port  int
	bind  net.IP                                  // web UI bind address; nil or unspecified: all
	ident func() (instance string, text []string) // read at every poll

	mu     sync.Mutex
	cur    Advertisement
	srv    *zeroconf.Server
	legacy *legacyResponder
	warned string // last condition warned about, so a poll does not repeat it

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewAdvertiser returns an Advertiser for a web UI listening on httpAddr; ident
// gives the instance name and TXT record and is called at every poll. It
// does no I/O until Open.
func NewAdvertiser(cfg Config, log *slog.Logger, httpAddr net.Addr, ident func() (string, []string)) *Advertiser {
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	a := &Advertiser{cfg: cfg, log: log.With("component", "mdns"), ident: ident}
	if tcp, ok := httpAddr.(*net.TCPAddr); ok {
		a.port = tcp.Port
		if !tcp.IP.IsUnspecified() {
			a.bind = tcp.IP
		}
	}
	return a
}

// Open advertises on the interfaces present now and keeps watching for
// changes until Close. Failing to advertise is logged, not returned: a node
// without mDNS still serves.
func (a *Advertiser) Open(ctx context.Context) error {
	if a.bind != nil && a.bind.IsLoopback() {
		a.log.Warn("not advertising on the LAN: the web UI listens on loopback only (give --http 0.0.0.0:PORT to serve the LAN)", "bind", a.bind)
		return nil
	}
	a.update()
	ctx, a.cancel = context.WithCancel(context.WithoutCancel(ctx))
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		t := time.NewTicker(a.cfg.Poll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				a.update()
			}
		}
	}()
	return nil
}

// Close stops watching and withdraws the advertisement: zeroconf's Shutdown
// multicasts every record once more with TTL 0 (a goodbye, RFC 6762 §10.1),
// so browsers drop the node at once rather than when their cache expires.
func (a *Advertiser) Close(ctx context.Context) error {
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.withdraw()
	return nil
}

// Current is what is advertised now.
func (a *Advertiser) Current() Advertisement {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cur
}

// update compares what should be advertised with what is, and re-registers
// when they differ.
func (a *Advertiser) update() {
	a.mu.Lock()
	defer a.mu.Unlock()
	want, err := a.desired()
	if err != nil {
		a.warnOnce("cannot list interfaces", "err", err)
		return
	}
	if want.equal(a.cur) && (a.srv != nil || len(want.Interfaces) == 0) {
		return
	}
	a.withdraw()
	if len(want.Interfaces) == 0 {
		a.warnOnce("not advertising on the LAN: no usable interface", "interfaces", a.cfg.Interfaces)
		return
	}
	ifaces := make([]net.Interface, 0, len(want.Interfaces))
	ips := make([]string, 0, 4)
	for _, i := range want.Interfaces {
		ifaces = append(ifaces, net.Interface{Name: i.Name, Index: i.Index, Flags: net.FlagUp | net.FlagMulticast})
	}
	for _, ip := range want.ips() {
		ips = append(ips, ip.String())
	}
	// zeroconf appends the domain to the host name itself.
	host := strings.TrimSuffix(want.Host, ".local")
	srv, err := zeroconf.RegisterProxy(want.Instance, mdnsService, mdnsDomain, want.Port, host, ips, want.Text, ifaces)
	if err != nil {
		a.warnOnce("cannot advertise on the LAN", "err", err)
		return
	}
	if _, err := raiseMDNSTTL(); err != nil {
		a.log.Warn("cannot set IP TTL 255 on the mDNS sockets", "err", err)
	}
	a.srv, a.cur, a.warned = srv, want, ""
	if a.legacy, err = openLegacyResponder(want, a.log); err != nil {
		a.log.Warn("legacy unicast mDNS queries will not be answered", "err", err)
	}
	names := make([]string, 0, len(ifaces))
	for _, i := range ifaces {
		names = append(names, i.Name)
	}
	a.log.Info("advertising on the LAN", "instance", want.Instance, "host", want.Host, "port", want.Port,
		"interfaces", strings.Join(names, ","), "txt", strings.Join(want.Text, " "))
}

// withdraw sends the goodbye and closes the sockets. Called with mu held.
func (a *Advertiser) withdraw() {
	if a.legacy != nil {
		a.legacy.Close()
		a.legacy = nil
	}
	if a.srv != nil {
		a.srv.Shutdown()
		a.srv = nil
		a.log.Info("withdrew the LAN advertisement", "instance", a.cur.Instance)
	}
	a.cur = Advertisement{}
}

// warnOnce logs a warning unless the last poll logged the same. Called with
// mu held.
func (a *Advertiser) warnOnce(msg string, args ...any) {
	key := msg + fmt.Sprint(args...)
	if a.warned != key {
		a.log.Warn(msg, args...)
		a.warned = key
	}
}

// desired is the advertisement for the interfaces and register as they are now.
func (a *Advertiser) desired() (Advertisement, error) {
	ifaces, err := lanInterfaces(a.cfg.Interfaces, a.bind)
	if err != nil {
		return Advertisement{}, err
	}
	instance, text := a.ident()
	return Advertisement{Instance: instance, Host: localHostName(), Port: a.port, Text: text, Interfaces: ifaces}, nil
}

// lanInterfaces lists the interfaces to advertise on: those named (all when
// names is empty) that are up, multicast-capable and not loopback, with their
// IPv4 and routable IPv6 addresses (only bind, when it is set). Interfaces
// without such an address are left out.
func lanInterfaces(names []string, bind net.IP) ([]AdvertisedInterface, error) {
	all, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []AdvertisedInterface
	for _, ifc := range all {
		if len(names) > 0 && !slices.Contains(names, ifc.Name) {
			continue
		}
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagMulticast == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		var ips []net.IP
		for _, addr := range addrs {
			ipn, ok := addr.(*net.IPNet)
			if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() || ipn.IP.IsMulticast() {
				continue
			}
			if bind != nil && !bind.Equal(ipn.IP) {
				continue
			}
			ips = append(ips, ipn.IP)
		}
		if len(ips) > 0 {
			out = append(out, AdvertisedInterface{Name: ifc.Name, Index: ifc.Index, IPs: ips})
		}
	}
	return out, nil
}

// localHostName is this machine's name in .local: the first label of its
// host name, as avahi does.
func localHostName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "baoxue"
	}
	h, _, _ = strings.Cut(h, ".")
	return h + ".local"
}

// InstanceName makes s a valid DNS-SD instance name: no dots (zeroconf does
// not escape them), at most 63 bytes, cut at a character boundary.
func InstanceName(s string) string {
	s = strings.ReplaceAll(s, ".", "·")
	for len(s) > 63 {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return strings.TrimSpace(s)
}

package node

// What the node advertises on its LAN (node/mdns does the advertising): its
// instance name and TXT record, read from its register and settings, and what
// the web UI's "connect a school" page shows of it.

import (
	"context"
	"runtime/debug"

	"baoxue/node/mdns"
	"baoxue/ui"
)

// mdnsIdentity is the instance name and TXT record of this node, read from
// its register (district, township) and its settings.
func (n *Node) mdnsIdentity() (string, []string) {
	role, town := "bureau", n.townshipCode()
	if town != "" {
		role = "township"
	}
	district, _ := n.db.District()
	var instance string
	if town != "" {
		name := town
		if ts, err := n.db.Townships(); err == nil {
			for _, t := range ts {
				if t.Code == town {
					name = t.Name
				}
			}
		}
		instance = name + " baoxue"
	} else {
		name := district.Name
		if name == "" {
			name = "baoxue"
		}
		instance = name + "教育局 baoxue " + n.cfg.NodeID
	}
	cluster := n.rep.ClusterID()
	if cluster == "" {
		cluster = district.Code
	}
	addr := n.cfg.ClusterAdvertise
	if addr == "" {
		addr = n.cfg.ClusterAddr
	}
	text := []string{
		"id=" + n.cfg.NodeID,
		"role=" + role,
		"town=" + town,
		"cluster=" + cluster,
		"cluster_addr=" + addr,
		"v=" + version(),
	}
	if n.rep.HoldsCA() {
		// It can admit a joining node (--join TOKEN --discover tries these first).
		text = append(text, "ca=1")
	}
	return mdns.InstanceName(instance), text
}

// townshipCode is the township this node serves (--township, kept in
// local.db); empty for a bureau node.
func (n *Node) townshipCode() string { return n.cfg.Township }

// version is the build's module version or VCS revision, for the TXT v=.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return s.Value[:12]
		}
	}
	return "dev"
}

// startMDNS starts advertising when the config asks for it.
func (n *Node) startMDNS(ctx context.Context) error {
	if !n.cfg.MDNS.Enabled {
		return nil
	}
	a := mdns.NewAdvertiser(n.cfg.MDNS, n.cfg.Logger, n.ln.Addr(), n.mdnsIdentity)
	if err := a.Open(ctx); err != nil {
		return err
	}
	n.mdns.Store(a)
	return nil
}

// Advertisement is what the node announces on its LAN now; zero when it does
// not advertise.
func (n *Node) Advertisement() mdns.Advertisement {
	a := n.mdns.Load()
	if a == nil {
		return mdns.Advertisement{}
	}
	return a.Current()
}

// lanInfo adapts the advertiser to what the web UI shows on its "connect a
// school" page.
type lanInfo struct{ n *Node }

var _ ui.LAN = lanInfo{}

func (l lanInfo) LAN() ui.LANInfo { return lanInfoOf(l.n.Advertisement()) }

// lanInfoOf is what the web UI shows of an advertisement.
func lanInfoOf(a mdns.Advertisement) ui.LANInfo {
	info := ui.LANInfo{Advertising: len(a.Interfaces) > 0, Instance: a.Instance, Host: a.Host, Port: a.Port}
	for _, i := range a.Interfaces {
		li := ui.LANInterface{Name: i.Name}
		for _, ip := range i.IPs {
			li.IPs = append(li.IPs, ip.String())
		}
		info.Interfaces = append(info.Interfaces, li)
	}
	return info
}

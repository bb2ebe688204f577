package node

import (
	"fmt"
	"net"
	"slices"
	"testing"

	"baoxue/node/mdns"
)

func TestMDNSIdentity(t *testing.T) {
	n := mustStart(t, testConfig(t, t.TempDir(), true))
	orgTree(login(t, n, "admin", adminPassword))
	n.cfg.Township = "450206100" // as --township gives it; the township must exist first
	instance, text := n.mdnsIdentity()
	if instance != "拉堡镇 baoxue" {
		t.Errorf("instance %q, want the township's name: 拉堡镇 baoxue", instance)
	}
	want := []string{"id=bureau", "role=township", "town=450206100", "cluster=" + n.rep.ClusterID(),
		"cluster_addr=" + n.cfg.ClusterAddr, "v=" + version(), "ca=1"}
	if n.rep.ClusterID() == "" || !slices.Equal(text, want) {
		t.Errorf("TXT %q, want %q", text, want)
	}
	for _, kv := range text {
		for _, r := range kv {
			if r > 127 {
				t.Errorf("TXT %q is not ASCII", kv)
			}
		}
	}

	n.cfg.Township = ""
	if instance, _ := n.mdnsIdentity(); instance != "柳江区教育局 baoxue bureau" {
		t.Errorf("bureau instance %q, want the district's name and role", instance)
	}
}

func TestLANInfo(t *testing.T) {
	if got := (lanInfo{&Node{}}).LAN(); got.Advertising {
		t.Errorf("without mDNS: %+v, want not advertising", got)
	}
	got := lanInfoOf(mdns.Advertisement{Instance: "拉堡镇 baoxue", Host: "township-server.local", Port: 8080,
		Interfaces: []mdns.AdvertisedInterface{{Name: "eth0", Index: 2, IPs: []net.IP{net.ParseIP("10.0.0.5"), net.ParseIP("fd00::5")}}}})
	want := "{true 拉堡镇 baoxue township-server.local 8080 [{eth0 [10.0.0.5 fd00::5]}]}"
	if fmt.Sprint(got) != want {
		t.Errorf("LAN() = %v, want %s", got, want)
	}
}

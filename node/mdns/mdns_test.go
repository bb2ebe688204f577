package mdns

import (
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestLegacyAnswer(t *testing.T) {
	adv := Advertisement{Instance: "拉堡镇 baoxue", Host: "township-server.local", Port: 8080,
		Text:       []string{"id=lapu", "role=township"},
		Interfaces: []AdvertisedInterface{{Name: "eth0", Index: 2, IPs: []net.IP{net.ParseIP("10.0.0.5").To4()}}}}
	r := &legacyResponder{adv: adv,
		service:  canonicalName(mdnsService + "." + mdnsDomain),
		instance: canonicalName(adv.Instance + "." + mdnsService + "." + mdnsDomain),
		host:     canonicalName(adv.Host + "."),
		enum:     canonicalName("_services._dns-sd._udp." + mdnsDomain)}
	// Names as a querier writes them: dig escapes the instance's bytes.
	escaped := `\230\139\137\229\160\161\233\149\135\032baoxue._baoxue._tcp.local.`
	tests := []struct {
		name  string
		qtype uint16
		want  []string // record types answered, in order; nil: no answer
	}{
		{"_baoxue._tcp.local.", dns.TypePTR, []string{"PTR"}},
		{"_BAOXUE._tcp.local.", dns.TypePTR, []string{"PTR"}},
		{"_services._dns-sd._udp.local.", dns.TypePTR, []string{"PTR"}},
		{escaped, dns.TypeSRV, []string{"SRV"}},
		{escaped, dns.TypeTXT, []string{"TXT"}},
		{escaped, dns.TypeANY, []string{"SRV", "TXT"}},
		{"township-server.local.", dns.TypeA, []string{"A"}},
		{"township-server.local.", dns.TypeAAAA, nil},
		{"_http._tcp.local.", dns.TypePTR, nil},
		{"other.local.", dns.TypeA, nil},
	}
	for _, tt := range tests {
		q := new(dns.Msg)
		q.SetQuestion(tt.name, tt.qtype)
		q.Id = 99
		resp := r.answer(q, 2)
		var got []string
		if resp != nil {
			for _, rr := range resp.Answer {
				got = append(got, dns.TypeToString[rr.Header().Rrtype])
				if rr.Header().Ttl > legacyTTL || rr.Header().Class != dns.ClassINET {
					t.Errorf("%s %s: record %v has TTL over %d or a cache-flush bit", tt.name, dns.TypeToString[tt.qtype], rr, legacyTTL)
				}
			}
			if resp.Id != 99 || len(resp.Question) != 1 || resp.Question[0] != q.Question[0] {
				t.Errorf("%s: reply id %d question %v, want the query's echoed", tt.name, resp.Id, resp.Question)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %s: answered %v, want %v", tt.name, dns.TypeToString[tt.qtype], got, tt.want)
		}
	}
}

func TestInstanceName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"拉堡镇 baoxue", "拉堡镇 baoxue"},
		{"a.b baoxue", "a·b baoxue"},
		{strings.Repeat("镇", 30), strings.Repeat("镇", 21)}, // 63 bytes, whole characters
	}
	for _, tt := range tests {
		if got := InstanceName(tt.in); got != tt.want {
			t.Errorf("InstanceName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct{ in, want string }{
		{`\230\139\137\229\160\161\233\149\135\032baoxue`, "拉堡镇 baoxue"},
		{`a\ b\.c\\d`, `a b.c\d`},
		{"plain", "plain"},
		{`trailing\`, `trailing\`},
	}
	for _, tt := range tests {
		if got := Unescape(tt.in); got != tt.want {
			t.Errorf("Unescape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDialable(t *testing.T) {
	ips := []string{"10.0.0.5"}
	tests := []struct{ in, want string }{
		{"10.0.0.9:7400", "10.0.0.9:7400"},
		{"0.0.0.0:7400", "10.0.0.5:7400"},
		{":7400", "10.0.0.5:7400"},
		{"127.0.0.1:7400", ""},
		{"nonsense", ""},
	}
	for _, tt := range tests {
		if got := dialable(tt.in, ips); got != tt.want {
			t.Errorf("dialable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

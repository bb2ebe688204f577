package pki

import (
	"errors"
	"strings"
	"testing"
)

func TestParseToken(t *testing.T) {
	good := Token{Version: 1, Cluster: "c", Addrs: []string{"10.0.0.5:7400"}, CA: strings.Repeat("ab", 32), ID: "t", Secret: "s"}
	if got, err := ParseToken(good.String()); err != nil || got.ID != "t" || got.Addrs[0] != "10.0.0.5:7400" {
		t.Errorf("round trip: %+v, %v", got, err)
	}
	noAddr := good
	noAddr.Addrs = nil
	for _, s := range []string{"", "!!!", "e30", noAddr.String(), good.String()[:20]} {
		if _, err := ParseToken(s); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("ParseToken(%q) = %v, want ErrTokenInvalid", s, err)
		}
	}
}

package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baoxue/store"
	ledgersync "baoxue/sync"
)

// A node is trusted only for its own township (sync/DESIGN.md): these
// tests act as a stolen township PC would, with the node's own
// certificate, on the leader's cluster port.

// asNode calls a cluster RPC on addr with the certificate in dataDir/tls,
// and returns the HTTP status and body.
func asNode(t testing.TB, dataDir, addr, path string, body any) (int, []byte) {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join(dataDir, "tls", "node.crt"), filepath.Join(dataDir, "tls", "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, a string) (net.Conn, error) {
			c, err := (&tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{cert}}}).DialContext(ctx, "tcp", a)
			if err != nil {
				return nil, err
			}
			_, err = c.Write([]byte{'H'})
			return c, err
		},
		DisableKeepAlives: true,
	}}
	raw, _ := json.Marshal(body)
	resp, err := client.Post("http://"+addr+path, "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s on %s: %v", path, addr, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func TestTownshipNodeCannotActForTheDistrict(t *testing.T) {
	bureauDir := t.TempDir()
	bureau, err := clOpen(t, clusterTestConfig(t, bureauDir, "bureau"))
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, bureau, "admin", adminPassword)
	orgTree(admin)
	townCfg := clusterTestConfig(t, filepath.Join(t.TempDir(), "lapu"), "lapu")
	townCfg.JoinToken, townCfg.Township = clToken(t, admin, false), "450206100"
	town, err := clOpen(t, townCfg)
	if err != nil {
		t.Fatal(err)
	}
	leaderAddr := bureau.Replicator().AdvertiseAddr()
	clEventually(t, "lapu to have the register", func() error {
		if town.Store().AppliedIndex() < bureau.Store().AppliedIndex() {
			return errors.New("behind")
		}
		return nil
	})

	newAdmin := func(id, name string) store.Command {
		cmd, err := store.NewCommand(id, store.Actor{User: "admin", Role: store.RoleAdmin, Node: "bureau"},
			store.UserCreate{User: store.User{Username: name, Role: store.RoleAdmin, Line: store.LineEducation,
				Scope: store.DistrictScope, PasswordHash: "pbkdf2-sha256$1$AAAA$AAAA"}})
		if err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	type forward struct {
		Origin   string          `json:"origin"`
		Commands []store.Command `json:"commands"`
	}
	t.Run("user.create as admin from a township node", func(t *testing.T) {
		cmd := newAdmin("forged-1", "evil")
		cmd.Origin, cmd.Seq = "lapu.0123456789ab", 1
		code, raw := asNode(t, townCfg.DataDir, leaderAddr, "/cluster/forward", forward{cmd.Origin, []store.Command{cmd}})
		var out struct{ Results []store.Result }
		json.Unmarshal(raw, &out)
		if code != 200 || len(out.Results) != 1 || out.Results[0].Applied() || out.Results[0].Code != store.CodeForbidden {
			t.Fatalf("forward: HTTP %d %s; want the command refused (forbidden)", code, raw)
		}
		if _, err := bureau.Store().User("evil"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("user evil exists on the bureau's register (%v)", err)
		}
	})
	t.Run("another node's origin", func(t *testing.T) {
		bureau.Store().Settle() // what it answered is committed (sync/commit.go)
		before := bureau.Store().AppliedIndex()
		cmd := newAdmin("forged-2", "evil2")
		cmd.Origin, cmd.Seq = "bureau.0123456789ab", 1
		code, raw := asNode(t, townCfg.DataDir, leaderAddr, "/cluster/forward", forward{cmd.Origin, []store.Command{cmd}})
		if code != http.StatusForbidden || !strings.Contains(string(raw), "not one of node") {
			t.Fatalf("forward with the bureau's origin: HTTP %d %s; want 403", code, raw)
		}
		if got := bureau.Store().AppliedIndex(); got != before {
			t.Errorf("applied index moved from %d to %d", before, got)
		}
	})
	t.Run("cluster command as admin from a township node", func(t *testing.T) {
		cmd, _ := store.NewCommand("forged-3", store.Actor{User: "admin", Role: store.RoleAdmin, Node: "bureau"},
			store.ClusterMember{NodeID: "lapu", Action: store.MemberPromote})
		code, raw := asNode(t, townCfg.DataDir, leaderAddr, "/cluster/submit", cmd)
		var res store.Result
		json.Unmarshal(raw, &res)
		if code != 200 || res.Applied() || res.Code != store.CodeForbidden {
			t.Fatalf("promote lapu from lapu: HTTP %d %s; want refused (forbidden)", code, raw)
		}
		if n, _ := bureau.Store().ClusterNode("lapu"); n.Voter {
			t.Error("lapu promoted itself")
		}
	})
	t.Run("the township's own officer writes through its node", func(t *testing.T) {
		admin.must("POST", "/api/v1/users", map[string]string{"username": "zhen", "password": "town-pw-12",
			"display_name": "镇干部", "role": "officer", "line": "government", "scope": "township:450206100"}, 201, nil)
		clEventually(t, "lapu to know zhen", func() error { _, err := town.Store().User("zhen"); return err })
		officer := login(t, town, "zhen", "town-pw-12")
		officer.must("POST", "/api/v1/students", newChild(t, 1, "S100", 3), 201, nil)
		// The district's admin, logged in at the township's node, is not
		// the township's: the register refuses the write.
		login(t, town, "admin", adminPassword).must("POST", "/api/v1/students", newChild(t, 3, "S100", 3), 409, nil)
	})
}

// TestClusterJoinGuard: the CA node checks a join's token before anything
// enters the log (a flood of bad joins leaves the log and the register as
// they were), and limits join attempts per source address.
func TestClusterJoinGuard(t *testing.T) {
	bureau, err := clOpen(t, clusterTestConfig(t, t.TempDir(), "bureau"))
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, bureau, "admin", adminPassword)
	tok := clToken(t, admin, false)
	bureau.Store().Settle() // what it answered is committed (sync/commit.go)
	before := bureau.Store().AppliedIndex()
	var last error
	for i := range 12 {
		_, last = clJoin(t, fmt.Sprintf("guess%d", i), "", clRetoken(t, tok, func(m map[string]any) {
			m["secret"] = strings.Repeat(fmt.Sprintf("%02x", i), 32)
		}))
		if i < 10 && !errors.Is(last, ledgersync.ErrTokenInvalid) {
			t.Fatalf("join %d with a wrong secret: %v, want ErrTokenInvalid", i, last)
		}
	}
	if !errors.Is(last, ledgersync.ErrTooManyJoins) || !strings.Contains(last.Error(), "try again in") {
		t.Errorf("12th join from one address within a second: %v, want ErrTooManyJoins saying when to try again", last)
	}
	if got := bureau.Store().AppliedIndex(); got != before {
		t.Errorf("refused joins moved the applied index from %d to %d: they were proposed", before, got)
	}
}

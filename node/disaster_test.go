package node

// The disasters of README "Backups and upgrades", on real node processes
// (harness_test.go).

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// baoxueCmd runs the baoxue binary with args and returns its output.
func baoxueCmd(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(baoxueBinary(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("baoxue %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// backupOf downloads p's backup into a file in dir.
func backupOf(t testing.TB, p *proc, dir string) string {
	t.Helper()
	code, raw, err := p.api(context.Background(), "GET", "/api/v1/admin/backup", nil)
	if err != nil || code != 200 {
		t.Fatalf("backup of %s: HTTP %d, %v: %.200s", p.id, code, err, raw)
	}
	path := filepath.Join(dir, p.id+".tar.gz")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// townWrite registers child n on p and returns the command id; want is the
// status expected (201 applied, 202 pending, 0 either).
func townWrite(t testing.TB, p *proc, n, want int) string {
	t.Helper()
	id := NewCommandID()
	body := clusterChild(t, n, "S100", 3)
	body["command_id"] = id
	code, raw, err := p.api(context.Background(), "POST", "/api/v1/students", body)
	if err != nil || (code != want && (want != 0 || (code != 201 && code != 202))) {
		t.Fatalf("child %d on %s: HTTP %d, %v, want %d: %s", n, p.id, code, err, want, raw)
	}
	return id
}

// childCount is how many children named 覃小n p's register holds.
func childCount(t testing.TB, p *proc, n int) int {
	k := 0
	for _, s := range students(t, p) {
		if s.Name == fmt.Sprintf("覃小%d", n) {
			k++
		}
	}
	return k
}

// TestTownshipDiskDies: a township's disk dies after its last backup. The
// backup is restored onto a new disk (`baoxue restore`) and the node
// started with only its data directory: it rejoins without a token; every
// write it had sent is in the register exactly once, the writes its
// backed-up outbox still held are applied once, the write it took after
// the backup and never sent is lost, and new writes go through (its outbox
// moved to a new origin).
func TestTownshipDiskDies(t *testing.T) {
	c := newCluster(t, fastTiming())
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	town := c.join(t, "lapu", townshipCode, false)
	for i := range 3 {
		townWrite(t, town, 100+i, 201) // sent and applied
	}
	c.isolate(town)
	townWrite(t, town, 200, 202) // in the outbox when the backup is taken
	townWrite(t, town, 201, 202)
	archive := backupOf(t, town, t.TempDir())
	townWrite(t, town, 300, 202) // after the backup, sent later
	c.heal()
	c.waitConverged(t, 60*time.Second)
	bureau.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 400, "S101", 8), 201, nil)
	c.isolate(town)
	townWrite(t, town, 500, 202) // after the backup, never sent: lost with the disk

	town.kill(t)
	if err := os.RemoveAll(town.dataDir); err != nil {
		t.Fatal(err)
	}
	out := baoxueCmd(t, "", "restore", "--in", archive, "--data", town.dataDir)
	if !strings.Contains(out, "restored node lapu") {
		t.Errorf("restore said: %s", out)
	}
	c.heal()
	town.restart(t) // a township was no voter: its restore mark asks no one
	if _, err := os.Stat(filepath.Join(town.dataDir, "restored.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the restored township's restore mark after its start: %v", err)
	}
	after := townWrite(t, town, 600, 0) // 201 or 202: its origin's numbers were used
	c.waitConverged(t, 60*time.Second)

	for n, want := range map[int]int{100: 1, 101: 1, 102: 1, 200: 1, 201: 1, 300: 1, 400: 1, 500: 0, 600: 1} {
		for _, p := range []*proc{bureau, town} {
			if got := childCount(t, p, n); got != want {
				t.Errorf("child %d is %d times in %s's register, want %d", n, got, p.id, want)
			}
		}
	}
	if st, _, err := commandState(bureau, after); err != nil || st != "applied" {
		t.Errorf("the restored township's first write: %q, %v", st, err)
	}
	if n, err := bureau.clusterNode("lapu"); err != nil || !n.Member {
		t.Errorf("the restored township in the node list: %+v, %v", n, err)
	}
}

// TestTwoVotersDie: two of three voters are lost while a township had
// received writes the surviving voter had not. `baoxue recover` makes the
// survivor a one-voter cluster from its own data; it leads, takes writes,
// and the township is given the survivor's register (the writes the
// survivor never had are lost everywhere, as the warning says), so both
// hold the same register.
func TestTwoVotersDie(t *testing.T) {
	c := newCluster(t, fastTiming())
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	c.join(t, "v2", "", true)
	v3 := c.join(t, "v3", "", true)
	town := c.join(t, "lapu", townshipCode, false)
	for i := range 3 {
		bureau.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 100+i, "S100", 3), 201, nil)
	}
	c.waitConverged(t, 60*time.Second)
	c.isolate(v3)
	for i := range 3 {
		bureau.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 200+i, "S100", 3), 201, nil)
	}
	waitFor(t, 30*time.Second, "the township to apply what v3 lacks", func() error {
		if childCount(t, town, 202) != 1 {
			return fmt.Errorf("not yet")
		}
		return nil
	})

	bureau.kill(t)
	c.node("v2").kill(t)
	v3.stop(t)
	c.heal()
	out := baoxueCmd(t, "", "recover", "--data", v3.dataDir, "--yes")
	if !strings.Contains(out, "ONLY voter") || !strings.Contains(out, "What is lost") {
		t.Errorf("recover gave no warning: %s", out)
	}
	start := time.Now()
	v3.restart(t)
	v3.waitLeading(t, 30*time.Second)
	t.Logf("the recovered voter leads %s after its start", time.Since(start).Round(time.Millisecond))
	v3.mustAPI(t, "POST", "/api/v1/students", clusterChild(t, 300, "S100", 3), 201, nil)
	townWrite(t, town, 400, 0)
	c.waitConverged(t, 60*time.Second)
	for n, want := range map[int]int{100: 1, 102: 1, 200: 0, 202: 0, 300: 1, 400: 1} {
		for _, p := range []*proc{v3, town} {
			if got := childCount(t, p, n); got != want {
				t.Errorf("child %d is %d times in %s's register, want %d", n, got, p.id, want)
			}
		}
	}
	v3.mustAPI(t, "DELETE", "/api/v1/cluster/nodes/v2", nil, 200, nil)
}

package node

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"baoxue/store"
)

// fetchBackup downloads GET /api/v1/admin/backup as c's user.
func fetchBackup(t testing.TB, c *client) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", c.base+"/api/v1/admin/backup", nil)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// TestBackupWhileWritingRestores takes a backup through the API while a
// client keeps registering children, restores it into a new data
// directory and starts a node there: it serves the register as it was at
// the backup (every child registered before the backup was asked for, the
// same records as the original's, children in registration order up to
// some point and none after) and, as the only voter, takes writes.
func TestBackupWhileWritingRestores(t *testing.T) {
	dirA := t.TempDir()
	a := mustStart(t, testConfig(t, dirA, true))
	admin := login(t, a, "admin", adminPassword)
	orgTree(admin)

	var mu sync.Mutex
	var ids []string // registration order
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		w := &client{t: t, base: admin.base, token: admin.token}
		for i := 1; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var c created
			if code := w.do("POST", "/api/v1/students", newChild(t, i, "S100", 3), &c); code != 201 {
				t.Errorf("write %d: HTTP %d", i, code)
				return
			}
			mu.Lock()
			ids = append(ids, c.Student.ID)
			mu.Unlock()
		}
	}()
	waitFor(t, 20*time.Second, "20 children", func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(ids) < 20 {
			return fmt.Errorf("%d", len(ids))
		}
		return nil
	})
	mu.Lock()
	before := len(ids)
	mu.Unlock()
	code, archive := fetchBackup(t, admin)
	if code != 200 {
		t.Fatalf("backup: HTTP %d: %.200s", code, archive)
	}
	mu.Lock()
	atReturn := len(ids) // written when the backup had arrived; one more may be in flight
	mu.Unlock()
	time.Sleep(300 * time.Millisecond) // writes go on after the backup too
	close(stop)
	<-done
	if len(ids) < atReturn+2 {
		t.Fatalf("too few writes after the backup (%d before it, %d at its end, %d in all)", before, atReturn, len(ids))
	}
	original := map[string]store.Student{}
	for _, id := range ids {
		s, err := a.Store().GetStudent(store.DistrictScope, id)
		if err != nil {
			t.Fatal(err)
		}
		original[id] = s
	}
	if entries, _ := os.ReadDir(dirA); len(entries) != 4 {
		t.Errorf("data directory after the backup holds %d entries, want 4 (no temporary files left): %v", len(entries), entries)
	}
	a.Close(context.Background())

	dirB := filepath.Join(t.TempDir(), "restored")
	m, err := Restore(bytes.NewReader(archive), dirB)
	if err != nil {
		t.Fatal(err)
	}
	if m.NodeID != "bureau" || m.AppliedIndex == 0 || !m.CA || !m.SoleVoter("bureau") {
		t.Errorf("manifest %+v", m)
	}
	cfg := testConfig(t, dirB, false)
	b := mustStart(t, cfg)
	if got := b.Store().AppliedIndex(); got != m.AppliedIndex {
		t.Errorf("restored register at %d, backup at %d", got, m.AppliedIndex)
	}
	present := 0
	for i, id := range ids {
		s, err := b.Store().GetStudent(store.DistrictScope, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			t.Fatal(err)
		}
		if i != present {
			t.Fatalf("child %d (%s) restored but child %d missing: not one point in time", i, id, present)
		}
		present++
		if want, _ := json.Marshal(original[id]); !bytes.Equal(mustJSON(t, s), want) {
			t.Errorf("child %s restored as %s, was %s", id, mustJSON(t, s), want)
		}
	}
	if present < before || present > atReturn+1 {
		t.Errorf("restored %d children; %d were registered before the backup was asked for, %d when it arrived", present, before, atReturn)
	}
	nb := login(t, b, "admin", adminPassword)
	var c created
	nb.must("POST", "/api/v1/students", newChild(t, 900, "S100", 3), 201, &c)
	if c.Command.State != "applied" {
		t.Errorf("a write on the restored node: %+v", c.Command)
	}
}

func mustJSON(t testing.TB, v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestBackupAdminOnly: only administrators may download a backup.
func TestBackupAdminOnly(t *testing.T) {
	n := mustStart(t, testConfig(t, t.TempDir(), true))
	admin := login(t, n, "admin", adminPassword)
	orgTree(admin)
	admin.must("POST", "/api/v1/users", map[string]string{"username": "xiaozhang", "password": "school-pw-1",
		"display_name": "校长", "role": "officer", "line": "education", "scope": "school:S101"}, 201, nil)
	if code, _ := fetchBackup(t, login(t, n, "xiaozhang", "school-pw-1")); code != http.StatusForbidden {
		t.Errorf("an officer's backup: HTTP %d, want 403", code)
	}
	if code, _ := fetchBackup(t, &client{t: t, base: n.URL()}); code != http.StatusUnauthorized {
		t.Errorf("a backup without login: HTTP %d, want 401", code)
	}
	if code, raw := fetchBackup(t, admin); code != 200 || len(raw) < 100 {
		t.Errorf("the admin's backup: HTTP %d, %d bytes", code, len(raw))
	}
}

// TestRestoreRefuses: a non-empty directory and anything but a whole,
// undamaged archive are refused, and the directory is left as it was.
func TestRestoreRefuses(t *testing.T) {
	n := mustStart(t, testConfig(t, t.TempDir(), true))
	rc, _, err := n.Backup(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	good, _ := io.ReadAll(rc)
	rc.Close()

	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "notes.txt"), []byte("keep me"), 0o600)
	if _, err := Restore(bytes.NewReader(good), full); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("restore into a non-empty directory: %v, want ErrNotEmpty", err)
	}
	if raw, _ := os.ReadFile(filepath.Join(full, "notes.txt")); string(raw) != "keep me" {
		t.Errorf("the non-empty directory was changed")
	}

	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0xff
	for name, archive := range map[string][]byte{
		"flipped byte": flipped,
		"truncated":    good[:len(good)*2/3],
		"not gzip":     []byte("PK\x03\x04 a zip file"),
		"outside":      tarGz(t, map[string]string{"manifest.json": "{}", "../escape": "x"}),
		"no register":  withoutEntry(t, good, "register.db"),
	} {
		dir := filepath.Join(t.TempDir(), "data")
		if _, err := Restore(bytes.NewReader(archive), dir); !errors.Is(err, ErrBadArchive) {
			t.Errorf("%s: %v, want ErrBadArchive", name, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s: left %v behind", name, entries)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(full), "escape")); err == nil {
		t.Error("an archive entry was written outside the data directory")
	}
	if _, err := Restore(bytes.NewReader(good), filepath.Join(t.TempDir(), "data")); err != nil {
		t.Errorf("the undamaged archive: %v", err)
	}
}

func tarGz(t testing.TB, files map[string]string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(body))})
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// withoutEntry is archive less one of its files.
func withoutEntry(t testing.TB, archive []byte, drop string) []byte {
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var buf bytes.Buffer
	out := gzip.NewWriter(&buf)
	tw := tar.NewWriter(out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == drop {
			continue
		}
		tw.WriteHeader(h)
		io.Copy(tw, tr)
	}
	tw.Close()
	out.Close()
	return buf.Bytes()
}

// TestScheduledBackupKeeps: each scheduled backup is a whole archive in the
// backup directory, and only the newest Keep of this node's are kept (other
// files are left alone).
func TestScheduledBackupKeeps(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), true)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "baoxue-othernode-20200101T000000.000Z.tar.gz"), nil, 0o600)
	n := mustStart(t, cfg)
	n.cfg.Backup = BackupSchedule{Dir: dir, Keep: 2, At: "02:30"}
	var paths []string
	for range 3 {
		p, err := n.scheduledBackup(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		time.Sleep(2 * time.Millisecond)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{filepath.Base(paths[1]), filepath.Base(paths[2]), "baoxue-othernode-20200101T000000.000Z.tar.gz"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("backup directory holds %v, want %v", names, want)
	}
	f, _ := os.Open(paths[2])
	defer f.Close()
	if _, err := Restore(f, filepath.Join(t.TempDir(), "data")); err != nil {
		t.Errorf("the newest scheduled backup does not restore: %v", err)
	}
}

func TestNextBackup(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	for _, tc := range []struct {
		now, at, want string
	}{
		{"2026-12-01 01:00", "02:30", "2026-12-01 02:30"},
		{"2026-12-01 02:30", "02:30", "2026-12-01 02:30"},
		{"2026-12-01 02:31", "02:30", "2026-12-02 02:30"},
		{"2026-12-31 23:59", "00:00", "2027-01-01 00:00"},
	} {
		now, _ := time.ParseInLocation("2006-01-02 15:04", tc.now, cst)
		if got := nextBackup(now, tc.at).Format("2006-01-02 15:04"); got != tc.want {
			t.Errorf("nextBackup(%s, %s) = %s, want %s", tc.now, tc.at, got, tc.want)
		}
	}
	for _, bad := range []BackupSchedule{{Dir: "x", Keep: 0, At: "02:30"}, {Dir: "x", Keep: 3, At: "2:30pm"}, {Dir: "x", Keep: 3, At: "25:00"}} {
		if bad.validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

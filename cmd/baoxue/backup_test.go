package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testPassword = "a-long-test-password"

// serveBureau runs a bootstrapped node in dir on 127.0.0.1 until the test
// ends and returns its web address.
func serveBureau(t *testing.T, dir string) string {
	t.Helper()
	addr := loopbackAddr(t)
	args := []string{"serve", "--config", "", "--data", dir, "--node-id", "bureau", "--http", addr,
		"--cluster-addr", loopbackAddr(t), "--bootstrap", "--admin-password", testPassword, "--mdns=false",
		"--raft-min-free-bytes", "0"}
	var out lockedBuffer
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- runUntilStopped(args, &out, stop) }()
	if err := waitServing(addr, &out, done); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Cleanup(func() {
		close(stop)
		select {
		case <-done:
		case <-time.After(40 * time.Second):
			t.Error("the node did not stop")
		}
	})
	return addr
}

// withStdin makes os.Stdin read text (not a terminal: the prompt reads
// the line as it is) for the rest of the test.
func withStdin(t *testing.T, text string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	w.WriteString(text)
	w.Close()
	old := os.Stdin
	os.Stdin = r
	t.Cleanup(func() { os.Stdin = old; r.Close() })
}

// TestBackupCommand: `baoxue backup --from URL --out FILE` logs in with the
// password from BAOXUE_PASSWORD, or asks for it when that is not set, and
// writes the running node's backup, which `baoxue restore` takes. A wrong
// password writes nothing and says why; an existing file is never
// overwritten.
func TestBackupCommand(t *testing.T) {
	from := "http://" + serveBureau(t, t.TempDir())
	dir := t.TempDir()
	backup := func(out string) (string, error) {
		var stdout, stderr lockedBuffer
		err := run(t.Context(), []string{"backup", "--from", from, "--out", out}, &stdout, &stderr)
		return stdout.String() + stderr.String(), err
	}

	t.Setenv("BAOXUE_PASSWORD", testPassword)
	fromEnv := filepath.Join(dir, "env.tar.gz")
	if said, err := backup(fromEnv); err != nil || !strings.Contains(said, "backup written to "+fromEnv) {
		t.Fatalf("backup with BAOXUE_PASSWORD: %v: %s", err, said)
	}
	before, _ := os.ReadFile(fromEnv)
	if said, err := backup(fromEnv); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("backup over an existing file: %v: %s", err, said)
	}
	if after, _ := os.ReadFile(fromEnv); string(after) != string(before) {
		t.Error("backup overwrote an existing file")
	}

	t.Setenv("BAOXUE_PASSWORD", "")
	withStdin(t, testPassword+"\n")
	prompted := filepath.Join(dir, "prompt.tar.gz")
	if said, err := backup(prompted); err != nil || !strings.Contains(said, "password of admin at") {
		t.Fatalf("backup with the password typed: %v: %s", err, said)
	}

	t.Setenv("BAOXUE_PASSWORD", "not-the-password")
	wrong := filepath.Join(dir, "wrong.tar.gz")
	if said, err := backup(wrong); err == nil || !strings.Contains(err.Error(), "log in as admin") {
		t.Errorf("backup with a wrong password: %v: %s", err, said)
	}
	if _, err := os.Stat(wrong); !os.IsNotExist(err) {
		t.Errorf("a failed backup left %s: %v", wrong, err)
	}

	for _, archive := range []string{fromEnv, prompted} {
		var out lockedBuffer
		data := filepath.Join(t.TempDir(), "data")
		if err := run(t.Context(), []string{"restore", "--in", archive, "--data", data}, &out, &out); err != nil ||
			!strings.Contains(out.String(), "restored node bureau") {
			t.Errorf("restore %s: %v: %s", filepath.Base(archive), err, out.String())
		}
	}
}

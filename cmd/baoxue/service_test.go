package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	gosync "sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the node's goroutines.
type lockedBuffer struct {
	mu  gosync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func loopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServiceConfNamesServeFlags: every setting the Windows service's
// baoxue.conf offers (commented out) is a flag of serve, so that an
// operator who removes the # gets a node that starts.
func TestServiceConfNamesServeFlags(t *testing.T) {
	var help lockedBuffer
	if err := run(t.Context(), []string{"serve", "-h"}, &help, &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("serve -h: %v", err)
	}
	names := regexp.MustCompile(`(?m)^#([a-z-]+) = `).FindAllStringSubmatch(windowsConf, -1)
	if len(names) < 5 {
		t.Fatalf("windowsConf offers %d settings: %q", len(names), windowsConf)
	}
	for _, m := range names {
		if !regexp.MustCompile(`(?m)^\s+-` + m[1] + `(\s|$)`).MatchString(help.String()) {
			t.Errorf("baoxue.conf offers %q, which is no flag of serve", m[1])
		}
	}
}

// TestServiceRunsAndStops: what `baoxue service install` prepares and the
// command line it installs run a node: the operator fills in the offered
// settings of baoxue.conf (and the first start's bootstrap), the service
// runs serve with its data under the service's directory, answers
// /healthz, and stops cleanly when the service manager says stop; it
// starts again from the same files, as after a reboot. An operator's
// baoxue.conf is not overwritten by a second install.
func TestServiceRunsAndStops(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "baoxue") // %ProgramData%\baoxue
	if err := prepareServiceDir(dir); err != nil {
		t.Fatal(err)
	}
	conf, _, data := serviceFiles(dir)
	httpAddr := loopbackAddr(t)
	text, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	filled := strings.NewReplacer("#node-id = lapu", "node-id = bureau", "#http = 0.0.0.0:8080", "http = "+httpAddr,
		"#cluster-addr = 10.0.3.7:7400", "cluster-addr = "+loopbackAddr(t),
		`#backup-dir = C:\ProgramData\baoxue\backups`, "backup-dir = "+filepath.Join(dir, "backups")).Replace(string(text))
	filled += "bootstrap = true\nadmin-password = a-long-test-password\nmdns = false\nraft-min-free-bytes = 0\n"
	if err := os.WriteFile(conf, []byte(filled), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := prepareServiceDir(dir); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(conf); string(got) != filled {
		t.Fatalf("a second install overwrote baoxue.conf:\n%s", got)
	}

	for run := range 2 {
		var out lockedBuffer
		stop := make(chan struct{})
		done := make(chan error, 1)
		go func() { done <- runUntilStopped(serviceArgs(dir), &out, stop) }()
		if err := waitServing(httpAddr, &out, done); err != nil {
			t.Fatalf("start %d: %v\n%s", run+1, err, out.String())
		}
		if _, err := os.Stat(filepath.Join(data, "register.db")); err != nil {
			t.Errorf("start %d: the register is not in the service's data directory: %v", run+1, err)
		}
		close(stop)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("stop %d: %v\n%s", run+1, err, out.String())
			}
		case <-time.After(40 * time.Second):
			t.Fatalf("stop %d: serve did not end 40 s after the service was told to stop", run+1)
		}
		if !strings.Contains(out.String(), "shutting down") {
			t.Errorf("stop %d: no clean shutdown in the log:\n%s", run+1, out.String())
		}
	}
}

// waitServing waits until serve says it serves (it has opened the node)
// and http://addr/healthz answers 200, or serve ends.
func waitServing(addr string, out *lockedBuffer, done <-chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			return fmt.Errorf("serve ended: %v", err)
		default:
		}
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 && strings.Contains(out.String(), "baoxue node bureau serving") {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("no healthy /healthz within 60 s")
}

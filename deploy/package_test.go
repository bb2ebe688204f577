//go:build linux

// Package deploy holds the packaging (build.sh, debian/) and its test, which
// builds the Debian package, unpacks it into an empty root and runs the
// service's command line exactly as its systemd unit writes it.
package deploy

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDebianPackage builds the .deb for this machine's architecture with
// build.sh, checks what it holds, unpacks it with dpkg -x into an empty root,
// configures the node as the packaged conf file says an operator does, runs
// the unit's ExecStart under that root on 127.0.0.1 without mDNS and checks
// /healthz; then runs it again, as a restart does, with the same file.
func TestDebianPackage(t *testing.T) {
	for _, tool := range []string{"bash", "go", "dpkg-deb", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, tool+" is not installed (.ci/run installs dpkg)")
		}
	}
	if !strings.Contains(" amd64 arm64 loong64 ", " "+runtime.GOARCH+" ") || runtime.GOOS != "linux" {
		t.Skipf("no Debian package for %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	out := t.TempDir()
	cmd := exec.Command("bash", "build.sh", "deb", runtime.GOARCH)
	cmd.Env = append(os.Environ(), "OUT="+out, "VERSION=1.2.3~test")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build.sh deb %s: %v\n%s", runtime.GOARCH, err, b)
	}
	deb := filepath.Join(out, "baoxue_1.2.3~test_"+runtime.GOARCH+".deb")
	checkControl(t, deb)

	root := t.TempDir()
	run(t, "dpkg", "-x", deb, root)
	for _, f := range []string{"usr/bin/baoxue", "etc/baoxue/baoxue.conf", "lib/systemd/system/baoxue.service", "var/lib/baoxue"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("package lacks /%s: %v", f, err)
		}
	}
	execStart := unitExecStart(t, filepath.Join(root, "lib/systemd/system/baoxue.service"))
	conf := filepath.Join(root, "etc/baoxue/baoxue.conf")
	configure(t, conf, filepath.Join(root, "var/lib/baoxue"))

	// The unit's command line, its absolute paths under root.
	args := strings.Fields(execStart)
	for i, a := range args {
		if strings.HasPrefix(a, "/") {
			args[i] = filepath.Join(root, a)
		}
	}
	if args[0] != filepath.Join(root, "usr/bin/baoxue") || !strings.Contains(execStart, "--config /etc/baoxue/baoxue.conf") {
		t.Fatalf("ExecStart=%s: want /usr/bin/baoxue serve --config /etc/baoxue/baoxue.conf", execStart)
	}
	for start := 1; start <= 2; start++ {
		t.Logf("start %d: %s", start, strings.Join(args, " "))
		startAndCheck(t, args, filepath.Join(root, "var/lib/baoxue"))
	}
}

// checkControl checks the package's control fields and maintainer scripts.
func checkControl(t *testing.T, deb string) {
	t.Helper()
	fields := run(t, "dpkg-deb", "-f", deb, "Package", "Architecture", "Version")
	want := fmt.Sprintf("Package: baoxue\nArchitecture: %s\nVersion: 1.2.3~test\n", runtime.GOARCH)
	if fields != want {
		t.Errorf("control fields:\n%s\nwant:\n%s", fields, want)
	}
	ctl := t.TempDir()
	run(t, "dpkg-deb", "-e", deb, ctl)
	if b, _ := os.ReadFile(filepath.Join(ctl, "conffiles")); strings.TrimSpace(string(b)) != "/etc/baoxue/baoxue.conf" {
		t.Errorf("conffiles %q, want /etc/baoxue/baoxue.conf", b)
	}
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		run(t, "sh", "-n", filepath.Join(ctl, s))
	}
	if b, _ := os.ReadFile(filepath.Join(ctl, "postinst")); !strings.Contains(string(b), "useradd --system") {
		t.Errorf("postinst does not create the baoxue system user:\n%s", b)
	}
}

// unitExecStart reads the unit file, checks its hardening and returns its
// ExecStart.
func unitExecStart(t *testing.T, unit string) string {
	t.Helper()
	b, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(k, "#") {
			set[k] = v
		}
	}
	for k, v := range map[string]string{"User": "baoxue", "ProtectSystem": "strict", "StateDirectory": "baoxue",
		"NoNewPrivileges": "yes", "Restart": "on-failure", "PrivateTmp": "yes", "ProtectHome": "yes"} {
		if set[k] != v {
			t.Errorf("unit has %s=%q, want %q", k, set[k], v)
		}
	}
	if set["ExecStart"] == "" {
		t.Fatal("unit has no ExecStart")
	}
	return set["ExecStart"]
}

// configure edits the packaged conf file as its comments tell an operator to
// for the bureau's first node: the data line moved under the test's root,
// the first-start settings uncommented and given values.
func configure(t *testing.T, conf, data string) {
	t.Helper()
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if !strings.Contains(text, "\ndata = /var/lib/baoxue\n") {
		t.Fatalf("%s does not set data = /var/lib/baoxue:\n%s", conf, text)
	}
	text = strings.Replace(text, "\ndata = /var/lib/baoxue\n", "\ndata = "+data+"\n", 1)
	for _, s := range []string{"#node-id = ", "#bootstrap = ", "#admin-password =", "#mdns = "} {
		if !strings.Contains(text, "\n"+s) {
			t.Fatalf("%s has no commented %q line for an operator to fill in", conf, s)
		}
	}
	text += "node-id = bureau\nhttp = 127.0.0.1:0\ncluster-addr = 127.0.0.1:0\nbootstrap = true\n" +
		"admin-password = package-test-pw\nmdns = false\n" +
		// A port on loopback only would serve plain HTTP by default; the
		// package's HTTPS is what this test checks.
		"http-plain = false\n" +
		// LAN timeouts, as the demo has: with the WAN defaults a one-voter
		// node waits 15–30 s at every start before it leads.
		"raft-heartbeat-timeout = 1s\nraft-election-timeout = 1s\nraft-lease-timeout = 500ms\n"
	if err := os.WriteFile(conf, []byte(text), 0o640); err != nil {
		t.Fatal(err)
	}
}

// startAndCheck runs the node until it says where it serves, checks /healthz
// there over HTTPS, trusting only the district CA in data, and stops it
// with SIGTERM as systemd does.
func startAndCheck(t *testing.T, args []string, data string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, u, ok := strings.Cut(sc.Text(), " serving "); ok {
				select {
				case url <- u:
				default:
				}
			}
		}
		close(url)
	}()
	u, ok := <-url
	if !ok {
		cmd.Wait()
		t.Fatalf("the node exited without serving:\n%s", stderr.String())
	}
	if !strings.HasPrefix(u, "https://") {
		t.Errorf("the packaged node serves %s, want HTTPS", u)
	}
	ca, err := os.ReadFile(filepath.Join(data, "tls", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(u + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s/healthz: HTTP %d %s", u, resp.StatusCode, body)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v (systemd would count this a failure)\n%s", err, stderr.String())
	}
}

// run runs a command and returns its output; it fails the test on error.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	b, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
	}
	return string(b)
}

// skipOrFail skips outside CI and fails in CI, where .ci/run installs what
// the test needs.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"baoxue/node"
)

// backup downloads an online backup of a running node
// (GET /api/v1/admin/backup) into a file.
func backup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "the node's web address, e.g. http://127.0.0.1:8080 (required)")
	out := fs.String("out", "", "the archive to write, e.g. baoxue-backup.tar.gz (required; not overwritten)")
	user := fs.String("user", "admin", "an administrator's username; the password comes from BAOXUE_PASSWORD or a prompt")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || *out == "" || fs.NArg() > 0 {
		return errors.New("backup: --from and --out are required (and nothing else)")
	}
	base, err := url.Parse(strings.TrimRight(*from, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return fmt.Errorf("backup: --from %q is not an http(s) address", *from)
	}
	pw := os.Getenv("BAOXUE_PASSWORD")
	if pw == "" {
		if pw, err = readPassword(fmt.Sprintf("password of %s at %s: ", *user, base.Host), stderr); err != nil {
			return fmt.Errorf("backup: read password: %w", err)
		}
	}
	client := &http.Client{Timeout: time.Hour}
	token, err := apiLogin(ctx, client, base.String(), *user, pw)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	n, err := download(ctx, client, base.String()+"/api/v1/admin/backup", token, *out)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup written to %s (%d bytes)\n", *out, n)
	return nil
}

// apiLogin logs in and returns the API token.
func apiLogin(ctx context.Context, client *http.Client, base, user, pw string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": user, "password": pw})
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/login", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("log in: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil || out.Token == "" {
		return "", fmt.Errorf("log in as %s: %s", user, resp.Status)
	}
	return out.Token, nil
}

// download writes the backup to path, never over an existing file, and
// leaves no file behind when the download fails.
func download(ctx context.Context, client *http.Client, u, token, path string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, resp.Body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return 0, err
	}
	return n, nil
}

// restore unpacks a backup onto an empty data directory.
func restore(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "the backup archive (required)")
	data := fs.String("data", "", "an empty (or new) data directory (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *data == "" || fs.NArg() > 0 {
		return errors.New("restore: --in and --data are required (and nothing else)")
	}
	f, err := os.Open(*in)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	m, err := node.Restore(bufio.NewReader(f), *data)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "restored node %s (backup of %s, version %s, applied index %d) into %s\n",
		m.NodeID, m.Time.Local().Format("2006-01-02 15:04"), m.Version, m.AppliedIndex, *data)
	if m.SoleVoter(m.NodeID) {
		fmt.Fprintln(stdout, "It was the only voter: it will lead, and every other node will take its register.",
			"Writes applied after the backup are lost; townships resend what is still in their outboxes.")
	} else {
		for _, s := range m.Servers {
			if s.ID == m.NodeID && s.Voter {
				fmt.Fprintln(stdout, "WARNING: it was a voter. If other voters are alive, demote it on one of them first",
					"(POST /api/v1/cluster/nodes/"+m.NodeID+"/demote), then start it, and promote it once it has caught up:",
					"a voter restored from a backup has forgotten what it acknowledged since (README, \"Backups and upgrades\").",
					"serve refuses to start it while they still list it as a voter.")
			}
		}
	}
	fmt.Fprintf(stdout, "start it with: baoxue serve --data %s\n", filepath.Clean(*data))
	return nil
}

package node

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// BackupSchedule writes a backup archive into Dir once a day at At (local
// time, "HH:MM") and keeps the newest Keep of this node's archives there.
type BackupSchedule struct {
	Dir  string // empty: no scheduled backups
	Keep int    // at least 1
	At   string // "HH:MM", 24-hour clock, the machine's local time
}

// validate checks the schedule when one is set.
func (b BackupSchedule) validate() error {
	if b.Dir == "" {
		return nil
	}
	if b.Keep < 1 {
		return fmt.Errorf("BackupKeep is %d: keep at least one backup", b.Keep)
	}
	if _, err := time.Parse("15:04", b.At); err != nil {
		return fmt.Errorf("BackupAt %q is not HH:MM", b.At)
	}
	return nil
}

// nextBackup is the first time at or after now, on the minute, when the clock
// reads at ("HH:MM", valid) in now's location.
func nextBackup(now time.Time, at string) time.Time {
	t, _ := time.Parse("15:04", at)
	next := time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), 0, 0, now.Location())
	if next.Before(now) {
		next = time.Date(now.Year(), now.Month(), now.Day()+1, t.Hour(), t.Minute(), 0, 0, now.Location())
	}
	return next
}

// startBackups starts the daily backups if a directory is set; Close stops
// them.
func (n *Node) startBackups() {
	if n.cfg.Backup.Dir == "" {
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	n.stop = stop
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.runBackups(ctx)
	}()
}

// runBackups writes a backup at every scheduled time until ctx ends. A
// failed backup is logged and tried again the next day.
func (n *Node) runBackups(ctx context.Context) {
	for {
		next := nextBackup(time.Now(), n.cfg.Backup.At)
		timer := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		path, err := n.scheduledBackup(ctx)
		if err != nil {
			n.log.Error("scheduled backup failed", "dir", n.cfg.Backup.Dir, "err", err)
			continue
		}
		n.log.Info("scheduled backup written", "file", path)
		// Past the minute, so that a quick backup does not run twice.
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next.Add(time.Minute))):
		}
	}
}

// scheduledBackup writes one archive into the backup directory (complete
// or not at all: written under a temporary name, synced and renamed) and
// removes this node's oldest archives beyond Keep.
func (n *Node) scheduledBackup(ctx context.Context) (string, error) {
	dir := n.cfg.Backup.Dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	rc, name, err := n.Backup(ctx)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	path := filepath.Join(dir, name)
	if err := writeFileSync(path+".partial", rc); err != nil {
		os.Remove(path + ".partial")
		return "", err
	}
	if err := os.Rename(path+".partial", path); err != nil {
		return "", err
	}
	return path, pruneBackups(dir, n.cfg.NodeID, n.cfg.Backup.Keep)
}

// pruneBackups removes this node's archives in dir but the newest keep
// (names sort by time: backupName). Other files are left alone.
func pruneBackups(dir, nodeID string, keep int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var ours []string
	prefix := "baoxue-" + nodeID + "-"
	for _, e := range entries {
		if name := e.Name(); strings.HasPrefix(name, prefix) && strings.HasSuffix(name, ".tar.gz") {
			ours = append(ours, name)
		}
	}
	sort.Strings(ours)
	for len(ours) > keep {
		if err := os.Remove(filepath.Join(dir, ours[0])); err != nil {
			return err
		}
		ours = ours[1:]
	}
	return nil
}

func writeFileSync(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

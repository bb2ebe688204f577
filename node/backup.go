package node

// Online backups (GET /api/v1/admin/backup, `baoxue backup`, the daily
// schedule) and `baoxue restore`. README "Backups and upgrades" says how to
// use them; sync/DESIGN.md "Backups and recovery" why the Raft log is left
// out.
//
// An archive is a tar.gz of
//
//	manifest.json   node id, version, time, the register's applied index and Raft's state beside it
//	local.db        this node's identity, sessions, outbox and needs-attention list
//	register.db     the register
//	tls/...         the CA certificate, this node's key and certificate, and ca.key where it lives
//
// Each bbolt file is copied from one read transaction (tx.WriteTo) into a
// temporary file in the data directory first, so no read transaction stays
// open while a slow client downloads: bbolt's writers wait for long readers
// when the file grows. local.db is copied before the register, so that every
// outbox entry missing from the copy is in the register copy.

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"baoxue/store"
	ledgersync "baoxue/sync"
	"baoxue/sync/pki"

	bolt "go.etcd.io/bbolt"
)

// BackupFormat is the version of the archive layout.
const BackupFormat = 1

// Manifest describes a backup archive.
type Manifest struct {
	Format  int       `json:"format"`
	NodeID  string    `json:"node_id"`
	Version string    `json:"version"`
	Time    time.Time `json:"time"`
	// CA reports whether the archive holds the cluster CA's key.
	CA bool `json:"ca"`
	ledgersync.RaftState
}

// Errors of Restore.
var (
	ErrNotEmpty   = errors.New("data directory is not empty")
	ErrBadArchive = errors.New("not a baoxue backup")
)

// Backup writes a backup archive of the running node into a temporary file
// and returns it opened for reading (the file is removed on Close) with a
// file name for it. Writes continue meanwhile.
func (n *Node) Backup(ctx context.Context) (io.ReadCloser, string, error) {
	tmp, err := os.MkdirTemp(n.cfg.DataDir, ".backup-")
	if err != nil {
		return nil, "", fmt.Errorf("backup: %w", err)
	}
	m, err := n.writeArchive(ctx, tmp)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, "", fmt.Errorf("backup: %w", err)
	}
	f, err := os.Open(filepath.Join(tmp, "backup.tar.gz"))
	if err != nil {
		os.RemoveAll(tmp)
		return nil, "", fmt.Errorf("backup: %w", err)
	}
	return removeOnClose{f, tmp}, backupName(m.NodeID, m.Time), nil
}

// removeStaleBackups removes the temporary directories of backups a crash
// interrupted.
func removeStaleBackups(dataDir string) {
	stale, _ := filepath.Glob(filepath.Join(dataDir, ".backup-*"))
	for _, dir := range stale {
		os.RemoveAll(dir)
	}
}

// backupName is the archive's file name: node id and UTC time, so that
// names sort by time.
func backupName(nodeID string, t time.Time) string {
	return "baoxue-" + nodeID + "-" + t.UTC().Format("20060102T150405.000Z") + ".tar.gz"
}

type removeOnClose struct {
	*os.File
	dir string
}

func (r removeOnClose) Close() error {
	err := r.File.Close()
	os.RemoveAll(r.dir)
	return err
}

// writeArchive copies the node's files into dir and packs them into
// dir/backup.tar.gz.
func (n *Node) writeArchive(ctx context.Context, dir string) (Manifest, error) {
	if err := n.local.View(func(tx *bolt.Tx) error { return copyTx(tx, filepath.Join(dir, "local.db")) }); err != nil {
		return Manifest{}, fmt.Errorf("copy local.db: %w", err)
	}
	snap, err := n.db.BeginSnapshot()
	if err != nil {
		return Manifest{}, err
	}
	applied := snap.Index()
	err = writeFileFrom(filepath.Join(dir, "register.db"), snap)
	snap.Close()
	if err != nil {
		return Manifest{}, fmt.Errorf("copy register: %w", err)
	}
	st, err := n.rep.RaftState(applied)
	if err != nil {
		return Manifest{}, err
	}
	if err := ctx.Err(); err != nil {
		return Manifest{}, err
	}
	m := Manifest{Format: BackupFormat, NodeID: n.cfg.NodeID, Version: version(), Time: time.Now().UTC(), RaftState: st}
	tlsFiles, err := os.ReadDir(pki.Dir(n.cfg.DataDir))
	if err != nil {
		return Manifest{}, fmt.Errorf("read tls directory: %w", err)
	}
	files := []archived{{"local.db", filepath.Join(dir, "local.db")}, {"register.db", filepath.Join(dir, "register.db")}}
	for _, e := range tlsFiles {
		// Not the temporary files of a write in progress (pki's writePEM).
		if e.Type().IsRegular() && !strings.HasSuffix(e.Name(), ".tmp") {
			files = append(files, archived{"tls/" + e.Name(), filepath.Join(pki.Dir(n.cfg.DataDir), e.Name())})
			m.CA = m.CA || e.Name() == "ca.key"
		}
	}
	return m, packArchive(filepath.Join(dir, "backup.tar.gz"), m, files)
}

// archived is one file of an archive: its name there and where it is now.
type archived struct{ name, path string }

func copyTx(tx *bolt.Tx, path string) error { return writeFileFrom(path, tx) }

func writeFileFrom(path string, src io.WriterTo) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := src.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// packArchive writes the manifest and files as a tar.gz at path, synced.
func packArchive(path string, m Manifest, files []archived) error {
	out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	gz := gzip.NewWriter(out)
	tw := tar.NewWriter(gz)
	raw, _ := json.MarshalIndent(m, "", "  ")
	if err := tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o600, Size: int64(len(raw)), ModTime: m.Time}); err != nil {
		return err
	}
	if _, err := tw.Write(raw); err != nil {
		return err
	}
	for _, f := range files {
		if err := addFile(tw, f, m.Time); err != nil {
			return fmt.Errorf("archive %s: %w", f.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	return out.Sync()
}

func addFile(tw *tar.Writer, f archived, t time.Time) error {
	in, err := os.Open(f.path)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o600, Size: fi.Size(), ModTime: t}); err != nil {
		return err
	}
	_, err = io.CopyN(tw, in, fi.Size())
	return err
}

// Restore unpacks a backup archive read from r into dataDir, which must be
// empty or not exist, and puts the Raft state in step with the restored
// register (ledgersync.RestoreRaft): `serve --data dataDir` then runs the
// node as it was when the backup was taken. If the node was the only voter
// the log index moves ahead (ledgersync.IndexGap). It leaves a restore
// mark (ledgersync.MarkRestored): a voter among others then starts only
// once the living cluster has demoted it. It returns ErrNotEmpty
// for a directory with files in it and ErrBadArchive for anything that is
// not a complete, undamaged archive; on error dataDir is left empty.
func Restore(r io.Reader, dataDir string) (Manifest, error) {
	if entries, err := os.ReadDir(dataDir); err == nil && len(entries) > 0 {
		return Manifest{}, fmt.Errorf("%w: %s", ErrNotEmpty, dataDir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return Manifest{}, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return Manifest{}, err
	}
	m, err := restoreFiles(r, dataDir)
	if err == nil {
		err = ledgersync.RestoreRaft(dataDir, m.RaftState, m.SoleVoter(m.NodeID))
	}
	if err == nil {
		// serve checks the mark before Raft starts (sync/restored.go).
		err = ledgersync.MarkRestored(dataDir, m.NodeID, m.RaftState)
	}
	if err != nil {
		emptyDir(dataDir)
		return Manifest{}, err
	}
	return m, nil
}

func emptyDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// restoreFiles unpacks the archive and checks what it holds.
func restoreFiles(r io.Reader, dataDir string) (Manifest, error) {
	var m Manifest
	seen := map[string]bool{}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return m, fmt.Errorf("%w: %v", ErrBadArchive, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return m, fmt.Errorf("%w: %v", ErrBadArchive, err)
		}
		if err := restoreEntry(tr, h, dataDir, &m); err != nil {
			return m, err
		}
		seen[h.Name] = true
	}
	// Read to the end of the gzip stream, where its checksum is checked,
	// before any file is opened: bbolt panics on some damaged files.
	if _, err := io.Copy(io.Discard, gz); err != nil {
		return m, fmt.Errorf("%w: %v", ErrBadArchive, err)
	}
	for _, name := range []string{"manifest.json", "register.db", "local.db", "tls/ca.crt", "tls/node.crt", "tls/node.key"} {
		if !seen[name] {
			return m, fmt.Errorf("%w: %s is missing", ErrBadArchive, name)
		}
	}
	if m.Format != BackupFormat || m.NodeID == "" {
		return m, fmt.Errorf("%w: manifest format %d, node %q", ErrBadArchive, m.Format, m.NodeID)
	}
	for _, name := range []string{"local.db", "register.db"} {
		if err := checkBolt(filepath.Join(dataDir, name)); err != nil {
			return m, fmt.Errorf("%w: %s: %v", ErrBadArchive, name, err)
		}
	}
	db, err := store.Open(filepath.Join(dataDir, "register.db"), nil)
	if err != nil {
		return m, fmt.Errorf("%w: register: %v", ErrBadArchive, err)
	}
	applied := db.AppliedIndex()
	db.Close()
	if applied != m.AppliedIndex {
		return m, fmt.Errorf("%w: register at index %d, manifest says %d", ErrBadArchive, applied, m.AppliedIndex)
	}
	return m, nil
}

// restoreEntry writes one archive entry, refusing names a backup does not
// have (so nothing lands outside dataDir).
func restoreEntry(tr *tar.Reader, h *tar.Header, dataDir string, m *Manifest) error {
	name := h.Name
	switch {
	case h.Typeflag != tar.TypeReg:
		return fmt.Errorf("%w: %s is not a file", ErrBadArchive, name)
	case name == "manifest.json":
		if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(m); err != nil {
			return fmt.Errorf("%w: manifest: %v", ErrBadArchive, err)
		}
		return nil
	case name == "register.db", name == "local.db":
	case strings.HasPrefix(name, "tls/") && !strings.ContainsAny(name[4:], `/\`) && name[4:] != "" && !strings.HasPrefix(name[4:], "."):
		if err := os.MkdirAll(pki.Dir(dataDir), 0o700); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: unexpected file %q", ErrBadArchive, name)
	}
	path := filepath.Join(dataDir, filepath.FromSlash(name))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, tr)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadArchive, name, err)
	}
	return nil
}

// checkBolt runs bbolt's consistency check on a file.
func checkBolt(path string) error {
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		return err
	}
	defer b.Close()
	return b.View(func(tx *bolt.Tx) error {
		var first error
		for err := range tx.Check() {
			if first == nil {
				first = err
			}
		}
		return first
	})
}

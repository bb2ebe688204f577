package node

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"baoxue/store"
)

// TestPreviousReleaseDataDir upgrades a data directory written by the
// previous release: testdata/data-41dedbc.tgz is the bureau node of
// `baoxue demo --students 300 --admin-password fixture-pass-1` as of commit
// 41dedbc (register schema 2), stopped with Ctrl-C. This build opens it,
// brings the register to its schema, leads, and serves it: the admin logs
// in with the old password, the 300 children are there, and it takes a
// write.
func TestPreviousReleaseDataDir(t *testing.T) {
	dir := t.TempDir()
	untar(t, filepath.Join("testdata", "data-41dedbc.tgz"), dir)
	cfg := testConfig(t, dir, false)
	// The identity (node id, addresses) comes from local.db; only the
	// ports are this test's, since the recorded ones may be taken here.
	cfg.HTTPAddr, cfg.ClusterAddr = "127.0.0.1:0", "127.0.0.1:0"
	n := mustStart(t, cfg)
	if n.ID() != "bureau" {
		t.Errorf("node id %q, want bureau (from the old local.db)", n.ID())
	}
	if v, err := n.Store().SchemaVersion(); err != nil || v != currentSchema(t) {
		t.Errorf("schema version %d (%v), want %d", v, err, currentSchema(t))
	}
	admin := login(t, n, "admin", "fixture-pass-1")
	var p page
	admin.must("GET", "/api/v1/students", nil, 200, &p)
	if p.Total != 300 {
		t.Errorf("%d children after the upgrade, want 300", p.Total)
	}
	admin.must("POST", "/api/v1/townships", map[string]string{"code": "450206199", "name": "新设镇"}, 201, nil)
	var list struct{ Items []store.Township }
	admin.must("GET", "/api/v1/townships", nil, 200, &list)
	if towns := list.Items; len(towns) != 9 || !slices.ContainsFunc(towns, func(tw store.Township) bool { return tw.Code == "450206199" }) {
		t.Errorf("townships after the write: %d, want the demo's 8 and the new one", len(list.Items))
	}
}

// currentSchema is the schema a register this build makes has.
func currentSchema(t *testing.T) uint64 {
	db, err := store.Open(filepath.Join(t.TempDir(), "register.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, err := db.SchemaVersion()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// untar extracts the gzipped tar archive at path into dir.
func untar(t *testing.T, path, dir string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dir, filepath.Clean("/"+h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(target, 0o700)
		case tar.TypeReg:
			err = writeFile(target, tr)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

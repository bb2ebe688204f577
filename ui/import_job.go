package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"baoxue/store"
	"baoxue/ui/sheet"
)

// An import's working state (imports.go is its API and page). It belongs
// to the node that took the upload and is not replicated: the register
// sees only the batch commands that apply it. It lives in memory and in
// the node's local file (buckets imports and import_data), so an import
// survives a restart of the node: one that was applying goes on (its
// batches have fixed command ids, so none applies twice), one that was
// still reading is failed (upload it again). Imports older than
// importKeep are deleted at start.

// Import states.
const (
	importParsing  = "parsing"
	importReady    = "ready"
	importApplying = "applying"
	importApplied  = "applied"
	importFailed   = "failed"
)

const importKeep = 14 * 24 * time.Hour

var (
	bucketImports    = []byte("imports")     // id → JSON importMeta
	bucketImportData = []byte("import_data") // id → JSON importData
)

// importMeta is the small part of an import, written at every step.
type importMeta struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"`
	User     string    `json:"user"`
	FileName string    `json:"file_name"`
	Created  time.Time `json:"created"`
	State    string    `json:"state"`
	// Failed: why, as a code for the catalogue (importFailCodes) with its
	// English detail; Cell names a cell or header where there is one.
	FailCode   string            `json:"fail_code,omitempty"`
	FailDetail string            `json:"fail_detail,omitempty"`
	FailCell   string            `json:"fail_cell,omitempty"`
	Mapping    map[string]string `json:"mapping,omitempty"`  // header → column key, the user's
	Unmapped   []string          `json:"unmapped,omitempty"` // headers no column takes
	Counts     map[string]int    `json:"counts,omitempty"`   // rows per class
	// Applying.
	Accepted []int             `json:"accepted,omitempty"` // the changes rows accepted (sheet rows); nil with AcceptAll
	AllOK    bool              `json:"accept_all,omitempty"`
	Batches  []string          `json:"batches,omitempty"` // command ids, in order
	Starts   []int             `json:"starts,omitempty"`  // where each batch starts among the rows applied
	Started  time.Time         `json:"started,omitzero"`
	Total    int               `json:"total,omitempty"` // rows to apply
	Done     int               `json:"done,omitempty"`  // rows whose batch the register has answered
	Finished time.Time         `json:"finished,omitzero"`
	Applied  int               `json:"applied,omitempty"`
	Skipped  int               `json:"skipped,omitempty"`
	Rejected []store.RowResult `json:"rejected,omitempty"`
}

// importData is the large part, written once the file is read.
type importData struct {
	Sheet   *sheet.Sheet     `json:"sheet"`
	Keys    []string         `json:"keys"` // column key of each header ("" ignored)
	Classes []store.RowClass `json:"classes"`
}

// importJob is one import in memory. mu guards everything in it.
type importJob struct {
	mu   sync.Mutex
	meta importMeta
	data *importData // nil until read (or loaded from the local file)
}

// importStore keeps the node's imports.
type importStore struct {
	local *bolt.DB
	mu    sync.Mutex
	jobs  map[string]*importJob
}

func newImportStore(local *bolt.DB, now time.Time) (*importStore, error) {
	st := &importStore{local: local, jobs: map[string]*importJob{}}
	err := local.Update(func(tx *bolt.Tx) error {
		metas, err := tx.CreateBucketIfNotExists(bucketImports)
		if err != nil {
			return err
		}
		data, err := tx.CreateBucketIfNotExists(bucketImportData)
		if err != nil {
			return err
		}
		var old [][]byte
		err = metas.ForEach(func(k, v []byte) error {
			var m importMeta
			if json.Unmarshal(v, &m) != nil || now.Sub(m.Created) > importKeep {
				old = append(old, append([]byte(nil), k...))
				return nil
			}
			if m.State == importParsing {
				m.State, m.FailCode, m.FailDetail = importFailed, "restarted", "the node restarted while it read the file"
			}
			st.jobs[m.ID] = &importJob{meta: m}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := metas.Delete(k); err != nil {
				return err
			}
			if err := data.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return st, err
}

func (st *importStore) add(j *importJob) {
	st.mu.Lock()
	st.jobs[j.meta.ID] = j
	st.mu.Unlock()
}

func (st *importStore) get(id string) (*importJob, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	j, ok := st.jobs[id]
	return j, ok
}

// list returns a user's imports, newest first.
func (st *importStore) list(user string) []importMeta {
	st.mu.Lock()
	var out []importMeta
	for _, j := range st.jobs {
		j.mu.Lock()
		if j.meta.User == user {
			out = append(out, j.meta)
		}
		j.mu.Unlock()
	}
	st.mu.Unlock()
	sortMetas(out)
	return out
}

// saveMeta writes the job's meta; the caller holds j.mu.
func (st *importStore) saveMeta(j *importJob) error {
	return st.local.Update(func(tx *bolt.Tx) error {
		return putJSONBolt(tx.Bucket(bucketImports), j.meta.ID, j.meta)
	})
}

// saveData writes the job's data and meta; the caller holds j.mu.
func (st *importStore) saveData(j *importJob) error {
	return st.local.Update(func(tx *bolt.Tx) error {
		if err := putJSONBolt(tx.Bucket(bucketImportData), j.meta.ID, j.data); err != nil {
			return err
		}
		return putJSONBolt(tx.Bucket(bucketImports), j.meta.ID, j.meta)
	})
}

// loadData reads a job's data after a restart; the caller holds j.mu.
func (st *importStore) loadData(j *importJob, kind *store.ImportKind) error {
	if j.data != nil {
		return nil
	}
	var d importData
	err := st.local.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketImportData).Get([]byte(j.meta.ID))
		if raw == nil {
			return errors.New("no data kept")
		}
		return json.Unmarshal(raw, &d)
	})
	if err != nil {
		return fmt.Errorf("import %s: %w", j.meta.ID, err)
	}
	j.data = &d
	return nil
}

func putJSONBolt(b *bolt.Bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

// importRows turns a sheet's rows into rows of cells by column key.
func importRows(s *sheet.Sheet, keys []string) []store.ImportRow {
	out := make([]store.ImportRow, len(s.Rows))
	for i := range s.Rows {
		out[i] = importRowAt(s, keys, i)
	}
	return out
}

// importRowAt is data row i of s by column key.
func importRowAt(s *sheet.Sheet, keys []string, i int) store.ImportRow {
	cells := make(map[string]string, len(keys))
	for c, v := range s.Rows[i] {
		if c < len(keys) && keys[c] != "" && v != "" {
			cells[keys[c]] = v
		}
	}
	return store.ImportRow{Row: s.RowNums[i], Cells: cells}
}

// resumeImports goes on with the imports that were applying when the node
// stopped.
func (s *Server) resumeImports() {
	s.imports.mu.Lock()
	defer s.imports.mu.Unlock()
	for _, j := range s.imports.jobs {
		if j.meta.State == importApplying {
			s.goImport(j)
		}
	}
}

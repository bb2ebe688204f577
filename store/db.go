// Package store is the district register: the domain types, the commands
// that change it, a deterministic Apply onto a bbolt file, and scoped,
// indexed queries.
//
// Every change is a Command applied by Apply in log order; Apply reads no
// clock and no randomness, so every node fed the same log holds the same
// register (see DESIGN.md for the invariants and the tests that check them).
// Queries are served from the bbolt file through an in-memory index that is
// derived from it at Open and kept current by Apply.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Buckets of register.db.
var (
	bucketMeta          = []byte("meta")
	bucketTownships     = []byte("townships")
	bucketVillages      = []byte("villages")
	bucketGroups        = []byte("groups")
	bucketSchools       = []byte("schools")
	bucketUsers         = []byte("users")
	bucketStudents      = []byte("students")        // be64(id) → Student
	bucketIDNumbers     = []byte("ix_id_number")    // ID number → be64(id)
	bucketStudentNos    = []byte("ix_student_no")   // student number → be64(id)
	bucketHouseholds    = []byte("ix_household")    // group 0x00 household number 0x00 be64(id) → nil (household.go)
	bucketStatusChanges = []byte("status_changes")  // be64(id) be64(index) → StatusChange
	bucketAudit         = []byte("audit")           // be64(index) → AuditEntry
	bucketAuditByTarget = []byte("audit_by_target") // target 0x00 be64(index) → nil
	bucketResults       = []byte("results")         // command id → Result
	bucketOrigins       = []byte("origins")         // origin node id → be64(highest seq applied)
	bucketRetired       = []byte("origins_retired") // origin node id → be64(index of the entry that retired it)

	bucketCases          = []byte("cases")              // be64(case n) → Case
	bucketCasesByStudent = []byte("cases_by_student")   // be64(student n) be64(case n) → nil
	bucketCaseReads      = []byte("case_reads")         // be64(case n) be64(index) → CaseRead
	bucketAssignments    = []byte("assignments")        // be64(assignment n) → Assignment
	bucketAssignUnits    = []byte("ix_assignment_unit") // level 0x00 unit 0x00 be64(n) → nil
	bucketBulkReads      = []byte("bulk_reads")         // be64(index) → BulkRead (bulk_read.go)

	// attendance, the ladder and the ledgers (attendance.go, calendar.go, ledger.go, week.go)
	bucketSettings        = []byte("settings")          // name → a versioned setting (calendar, watch)
	bucketRollCalls       = []byte("roll_calls")        // school 0x00 grade class date be64(version) → RollCallRecord
	bucketAbsences        = []byte("absences")          // date be64(student) → AbsenceRecord (latest version)
	bucketLedger          = []byte("ledger")            // be64(n) → LedgerEntry
	bucketLedgerByStudent = []byte("ledger_by_student") // be64(student) be64(n) → nil
	bucketWeekChecks      = []byte("week_checks")       // monday 0x00 school → WeekCheck
	bucketRollovers       = []byte("rollovers")         // year 0x00 school → RolloverRecord (progression.go)
	bucketLeavers         = []byte("leavers")           // year be64(student) → Leaver
	bucketInspections     = []byte("inspections")       // be64(n) → Inspection (inspection.go)
	bucketReports         = []byte("reports")           // month 0x00 school → Report (report.go)

	// the care registers and the poverty cross-check (care.go, poverty.go)
	bucketCareLogs      = []byte("care_logs")      // be64(student) be64(index) be16(n) → CareLog
	bucketPovertyLists  = []byte("poverty_lists")  // list label → PovertyList
	bucketPovertyRows   = []byte("poverty_rows")   // list label 0x00 ID number → PovertyRow
	bucketPovertyClears = []byte("poverty_clears") // kind 0x00 ID number → PovertyClearance

	allBuckets = [][]byte{bucketMeta, bucketTownships, bucketVillages, bucketGroups, bucketSchools,
		bucketUsers, bucketStudents, bucketIDNumbers, bucketStudentNos, bucketHouseholds, bucketStatusChanges,
		bucketAudit, bucketAuditByTarget, bucketResults, bucketOrigins, bucketRetired,
		bucketCases, bucketCasesByStudent, bucketCaseReads, bucketAssignments, bucketAssignUnits, bucketBulkReads,
		bucketClusterTokens, bucketClusterNodes, // cluster registry: cluster.go
		bucketSettings, bucketRollCalls, bucketAbsences, bucketLedger, bucketLedgerByStudent, bucketWeekChecks,
		bucketRollovers, bucketLeavers, bucketReports,
		bucketInspections, bucketCareLogs, bucketPovertyLists, bucketPovertyRows, bucketPovertyClears}
)

// appendOnly are the buckets whose keys mostly arrive in increasing order
// (log index, student number, ULID command ids). bbolt splits a full page in
// half by default, which leaves every page of an appended-to bucket half
// empty for ever; packing them full halves those buckets on disk. Not
// status_changes or case_reads: their keys start with the record's number,
// so they arrive in no order, and a full page split at random would leave
// one page full and one nearly empty.
var appendOnly = [][]byte{bucketAudit, bucketResults, bucketStudents}

// fillAppendOnly packs the append-only buckets' pages full in tx. bbolt
// keeps a bucket's FillPercent for one transaction only.
func fillAppendOnly(tx *bolt.Tx) {
	for _, name := range appendOnly {
		if b := tx.Bucket(name); b != nil {
			b.FillPercent = 1.0
		}
	}
}

// Keys in bucketMeta.
var (
	keyAppliedIndex   = []byte("applied_index")
	keyDistrict       = []byte("district")
	keyNextStudent    = []byte("next_student")
	keySchemaVersion  = []byte("schema_version")
	keyNextCase       = []byte("next_case")
	keyNextAssignment = []byte("next_assignment")
	keyCaseSettings   = []byte("case_settings")
)

// migrations bring register.db from one layout to the next, in order: the
// file's schema_version is the number of the last one it has had, and a
// new layout is one more entry at the end (never a change to an earlier
// one: files of every earlier release go through them all). Open runs the
// missing ones and stores the new version in the same transaction, so each
// runs once; a new, empty register starts at the current version.
var migrations = []struct {
	to   uint64
	what string
	run  func(tx *bolt.Tx) error
}{
	{2, "household index (ix_household), built from the children", buildHouseholdIndex},
	// Nothing to rewrite: records of schema 2 are read beside the new
	// layouts, and a child is written compact when it next changes. The
	// version keeps a release before it from opening a file it cannot read.
	{3, "children in a compact stored form, registrations' audit entries without their changes (codec.go, audit.go)",
		func(*bolt.Tx) error { return nil }},
}

// schemaVersion is the layout of register.db this program writes: the last
// migration's.
func schemaVersion() uint64 { return migrations[len(migrations)-1].to }

// initialMmapSize is 64 GiB where addresses are 64 bits and 1 GiB (bbolt's
// limit is 2 GiB) where they are 32.
const initialMmapSize = 1 << (30 + 6*(bits.UintSize/64))

// Options for Open.
type Options struct {
	// Timeout to wait for the file lock held by another process. Default 2s.
	Timeout time.Duration
	// NoSync skips fsync on commit. For benchmarks and tests only: a node
	// must never run with it, since Raft trusts the register to be durable.
	NoSync bool
}

// DB is the register held in one bbolt file. It is safe for concurrent use:
// one goroutine applies commands (the Raft FSM), any number query.
type DB struct {
	path string
	opt  Options

	// mu guards the handles, which Restore replaces and Close ends: readers
	// and the writer hold it shared, Restore and Close exclusively.
	mu     sync.RWMutex
	bolt   *bolt.DB
	ix     *index
	closed bool

	wmu     sync.Mutex    // one writer at a time (ApplyBatch, Restore)
	applied atomic.Uint64 // mirror of meta/applied_index
	written written       // the children written last (written.go)
	// openTxn is the Txn that holds applied commands not yet committed;
	// wantCommit asks its owner to commit (Txn, Settle).
	openTxn    atomic.Pointer[Txn]
	wantCommit chan struct{}
}

// Open opens (creating if needed) the register at path, migrates it to the
// current schema and builds the in-memory index.
func Open(path string, opt *Options) (*DB, error) {
	db := &DB{path: path, wantCommit: make(chan struct{}, 1)}
	if opt != nil {
		db.opt = *opt
	}
	if db.opt.Timeout == 0 {
		db.opt.Timeout = 2 * time.Second
	}
	removeScratch(filepath.Dir(path)) // snapshot.go: copies a crash left behind
	if err := db.open(); err != nil {
		return nil, err
	}
	return db, nil
}

func (db *DB) open() error {
	b, err := bolt.Open(db.path, 0o600, &bolt.Options{
		Timeout: db.opt.Timeout,
		NoSync:  db.opt.NoSync,
		// bbolt cannot remap its file while any read transaction is open,
		// so a writer that outgrows the mapping waits for the longest
		// reader: a snapshot streaming the whole register. Map far more
		// than the file will reach (address space only; pages are read in
		// as used) so that writers never remap.
		InitialMmapSize: initialMmapSize,
		FreelistType:    bolt.FreelistMapType,
		// Not the free-page list on every commit (etcd's setting): bbolt
		// writes it whole, and it is largest when a snapshot's read
		// transaction keeps freed pages pending. Open rebuilds it by
		// scanning the file, which it reads for the index anyway.
		NoFreelistSync: true,
	})
	if err != nil {
		return fmt.Errorf("open register %s: %w", db.path, err)
	}
	// bbolt grows the file 16 MiB at a time beyond what it uses (sparse, but
	// 250 bytes a child at the demo's size): 4 MiB is still one truncate
	// and fsync every few seconds of the fastest load.
	b.AllocSize = 4 << 20
	var applied uint64
	err = b.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if err := migrate(meta.Get(keySchemaVersion), tx); err != nil {
			return err
		}
		applied = getU64(meta, keyAppliedIndex)
		return meta.Put(keySchemaVersion, u64(schemaVersion()))
	})
	if err != nil {
		b.Close()
		return fmt.Errorf("prepare register: %w", err)
	}
	ix, err := buildIndex(b)
	if err != nil {
		b.Close()
		return fmt.Errorf("build index: %w", err)
	}
	db.bolt, db.ix = b, ix
	db.written.reset()
	db.applied.Store(applied)
	return nil
}

// migrate runs the migrations a register at version v (nil: a new file)
// has not had, in order, within tx. A file newer than this program is
// refused with ErrNewerSchema.
func migrate(v []byte, tx *bolt.Tx) error {
	if v == nil {
		return nil
	}
	have := be64(v)
	if have > schemaVersion() {
		return fmt.Errorf("%w: register schema %d, this program knows up to %d", ErrNewerSchema, have, schemaVersion())
	}
	for _, m := range migrations {
		if m.to <= have {
			continue
		}
		if err := m.run(tx); err != nil {
			return fmt.Errorf("migrate to schema %d (%s): %w", m.to, m.what, err)
		}
	}
	return nil
}

// SchemaVersion is the layout version of the register file (the last
// migration it has had), and of what this program writes.
func (db *DB) SchemaVersion() (uint64, error) {
	var v uint64
	err := db.view(func(tx *bolt.Tx) error {
		v = getU64(tx.Bucket(bucketMeta), keySchemaVersion)
		return nil
	})
	return v, err
}

// Close closes the file. Queries after Close return ErrClosed.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return nil
	}
	db.closed = true
	return db.bolt.Close()
}

// Path is the register file's path.
func (db *DB) Path() string { return db.path }

// AppliedIndex is the log index of the last command applied and committed
// (0 for a new register): what a read sees. It is stored in the same
// transaction as the command's effects; an open Txn's commands count once
// it commits.
func (db *DB) AppliedIndex() uint64 { return db.applied.Load() }

// view runs fn in a read transaction, holding mu so Restore cannot swap the
// file underneath, once everything applied so far is committed (Settle).
// Every read of the register goes through it.
func (db *DB) view(fn func(tx *bolt.Tx) error) error {
	db.Settle()
	return db.viewCommitted(fn)
}

// viewCommitted runs fn in a read transaction on what is committed, without
// waiting for an open Txn. Only for the two reads every write makes before
// it is submitted, each of which waits when what it reads may be in the
// open Txn: the request's user (User) and the input check (CheckStudent).
func (db *DB) viewCommitted(fn func(tx *bolt.Tx) error) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return ErrClosed
	}
	return db.bolt.View(fn)
}

func be64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func getU64(b *bolt.Bucket, k []byte) uint64 {
	if v := b.Get(k); len(v) == 8 {
		return be64(v)
	}
	return 0
}

// errNoDistrict: the register has not been set up by district.init.
var errNoDistrict = errors.New("register has no district yet")

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

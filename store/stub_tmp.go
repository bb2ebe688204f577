package store

import "io"

// DB is the register. Safe for concurrent use.
type DB struct{}

type Options struct{}

func Open(path string, opt *Options) (*DB, error)                        { panic("todo") }
func (db *DB) Close() error                                              { panic("todo") }
func (db *DB) AppliedIndex() uint64                                      { panic("todo") }
func (db *DB) Apply(e Entry) (Result, error)                             { panic("todo") }
func (db *DB) ApplyBatch(es []Entry) ([]Result, error)                   { panic("todo") }
func (db *DB) Result(commandID string) (Result, bool, error)             { panic("todo") }
func (db *DB) District() (District, error)                               { panic("todo") }
func (db *DB) Townships() ([]Township, error)                            { panic("todo") }
func (db *DB) Villages(township string) ([]Village, error)               { panic("todo") }
func (db *DB) Groups(village string) ([]Group, error)                    { panic("todo") }
func (db *DB) Schools(township string) ([]School, error)                 { panic("todo") }
func (db *DB) Users() ([]User, error)                                    { panic("todo") }
func (db *DB) User(username string) (User, error)                        { panic("todo") }
func (db *DB) ListStudents(sc Scope, f Filter) (Page, error)             { panic("todo") }
func (db *DB) GetStudent(sc Scope, id string) (Student, error)           { panic("todo") }
func (db *DB) StatusHistory(sc Scope, id string) ([]StatusChange, error) { panic("todo") }
func (db *DB) AuditTrail(sc Scope, id string) ([]AuditEntry, error)      { panic("todo") }
func (db *DB) BeginSnapshot() (*Snapshot, error)                         { panic("todo") }
func (db *DB) Restore(r io.Reader) error                                 { panic("todo") }
func (db *DB) Dump(w io.Writer) error                                    { panic("todo") }

type Snapshot struct{}

func (s *Snapshot) WriteTo(w io.Writer) (int64, error) { panic("todo") }
func (s *Snapshot) Close() error                       { panic("todo") }

func ValidateIDNumber(id string) (birth string, gender string, err error) { panic("todo") }
func HashPassword(pw string) (string, error)                              { panic("todo") }
func CheckPassword(hash, pw string) bool                                  { panic("todo") }

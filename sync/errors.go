package sync

import "errors"

// Errors returned by the Replicator. Raft's own errors never leave this
// package: they are translated to these at the boundary. Match with errors.Is.
var (
	// ErrNotLeader: this node is not the leader, or lost leadership while
	// the command was in flight. In the second case the command may still
	// be applied; submitting it again with the same ID is safe, since the
	// register answers a known command ID with its first result.
	ErrNotLeader = errors.New("not the leader")
	// ErrTimeout: the command was not applied within ApplyTimeout or the
	// caller's deadline. It may still be applied later; resubmit with the
	// same ID to learn its result.
	ErrTimeout = errors.New("timed out waiting for the command to apply")
	// ErrClosed: the Replicator is not open, or is closed or closing.
	ErrClosed = errors.New("replicator closed")
	// ErrDiskFull: DataDir has less free space than Config.MinFreeBytes;
	// the write was refused before it reached Raft.
	ErrDiskFull = errors.New("not enough free disk space")
)

package sync

import (
	"errors"

	"baoxue/sync/pki"
)

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

	// Cluster port, join and membership (transport.go, rpc.go, join.go,
	// membership.go, admin.go). The CA's and tokens' errors are package
	// pki's, under the same names.

	// ErrUnreachable: a call to another node got no answer (dial, TLS or
	// I/O failure, or the deadline passed). Safe to retry.
	ErrUnreachable = errors.New("node unreachable")
	// ErrUntrustedPeer: the other side has no certificate from this
	// cluster's CA (or, when joining, not the CA the token names).
	ErrUntrustedPeer = pki.ErrUntrustedPeer
	// ErrNoCertificate: the data directory holds no cluster certificate;
	// start with --bootstrap or --join.
	ErrNoCertificate = pki.ErrNoCertificate
	// ErrNotCA: this node does not hold the cluster CA's key, so it cannot
	// sign a joining node's certificate.
	ErrNotCA = pki.ErrNotCA
	// ErrTokenInvalid: the join token is malformed, unknown to the
	// cluster, or its secret is wrong.
	ErrTokenInvalid = pki.ErrTokenInvalid
	// ErrTokenUsed: the join token was used already; tokens admit one node.
	ErrTokenUsed = errors.New("join token was already used")
	// ErrTokenExpired: the join token's time to live has passed.
	ErrTokenExpired = errors.New("join token has expired")
	// ErrJoinInvalid: a join request the cluster refused for another
	// reason (node ID taken, bad certificate request, ...); the error says
	// which.
	ErrJoinInvalid = errors.New("join refused")
	// ErrUnknownNode: no such node in the cluster.
	ErrUnknownNode = errors.New("unknown node")
	// ErrForbidden: the acting user may not change the cluster.
	ErrForbidden = errors.New("not allowed")

	// Outbox and strong reads (outbox.go, queue.go, forward.go, reads.go).

	// ErrUnknownCommand: no such command in this node's needs-attention
	// list (dismissed already, or never rejected here).
	ErrUnknownCommand = errors.New("unknown command")
	// ErrStale: a strong read could not confirm that this replica holds
	// every write the leader had committed (no leader known or reachable,
	// leadership lost, or the replica did not catch up in time). The error
	// wraps the cause. Reading without consistency=strong still works.
	ErrStale = errors.New("cannot confirm this replica is up to date with the leader")
)

package sync

import (
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// transportTimeout is the I/O deadline of one RPC (Raft scales it up for
// snapshots by their size). Raft's usual 10s; an AppendEntries of
// MaxAppendEntries commands fits within it on a slow link.
const transportTimeout = 10 * time.Second

// newTransport binds addr and returns Raft's network transport on it. It
// listens before returning, so a port in use is reported here.
//
// Replication is not pipelined (MaxRPCsInFlight 1): hashicorp/raft's
// pipeline can stall after a follower error while heartbeats still flow
// (hashicorp/raft#612), which on a flaky link would leave a follower
// silently behind.
//
// This is plain TCP; mutual TLS between nodes replaces the stream layer
// here and nowhere else.
func newTransport(addr string, logger hclog.Logger) (*raft.NetworkTransport, error) {
	t, err := raft.NewTCPTransportWithConfig(addr, nil, &raft.NetworkTransportConfig{
		Logger:          logger,
		MaxPool:         3,
		MaxRPCsInFlight: 1,
		Timeout:         transportTimeout,
	})
	if err != nil {
		return nil, fmt.Errorf("listen on cluster address %s: %w", addr, err)
	}
	return t, nil
}

package sync

import (
	"fmt"
	"sync/atomic"

	"github.com/hashicorp/raft"

	"baoxue/store"
)

// Halt is where this node stopped applying the log: the first committed
// command it does not understand (a kind or payload version of a newer
// release, store.Understands). The node keeps its register as it was
// before that entry and serves reads from it until it is upgraded; see
// DESIGN.md, "Upgrades".
type Halt struct {
	Index uint64 // the entry's log index; the register holds everything before it
	Kind  string // the command's kind, or snapshotKind
	V     int    // the payload version, at least 1
}

// snapshotKind is Halt.Kind when the FSM stopped at a snapshot of a register
// written by a newer release (store.ErrNewerSchema): a leader of a newer
// release sent it to a follower that had fallen too far behind.
const snapshotKind = "register snapshot"

// err says why nothing more is applied; it wraps ErrUpgradeRequired.
func (at *Halt) err() error {
	return fmt.Errorf("%w: log index %d holds %s version %d", ErrUpgradeRequired, at.Index, at.Kind, at.V)
}

// halting is the FSM's state for upgrades (embedded in fsm). The zero
// value has not halted and understands what store.Understands does.
type halting struct {
	at atomic.Pointer[Halt]
	// stop ends a halt's wait: the Replicator's closing channel.
	stop <-chan struct{}
	// understands replaces store.Understands when set: a test plays an
	// older release with it.
	understands func(store.Command) bool
}

// halted returns where the FSM stopped, or nil.
func (h *halting) halted() *Halt { return h.at.Load() }

func (h *halting) understood(cmd store.Command) bool {
	if h.understands != nil {
		return h.understands(cmd)
	}
	return store.Understands(cmd)
}

// halt records that the FSM stops at the entry at index and blocks until
// the Replicator closes. It does not return sooner because Raft counts an
// entry as applied once ApplyBatch returns, whatever the response: the
// next snapshot would cover it and the log before it could be compacted
// away, so a newer binary would never see it. While halt blocks, Raft's
// FSM goroutine does nothing else (no snapshot is taken, none restored);
// after it returns, the FSM refuses to apply, snapshot or restore anything
// more in this process. A restart replays the log from the entry on.
func (f *fsm) halt(index uint64, cmd store.Command) {
	at := &Halt{Index: index, Kind: cmd.Kind, V: max(cmd.V, 1)}
	f.at.Store(at)
	f.log.Error("stopped applying the log: this node must be upgraded to apply the command at this index; "+
		"it serves reads of the register as it was before it",
		"index", at.Index, "kind", at.Kind, "payload_version", at.V)
	<-f.stop
}

// haltedResponses answers entries the FSM did not apply because it halted
// (only a closing node returns them): ErrUpgradeRequired for commands, nil
// for the rest, as ApplyBatch answers them.
func haltedResponses(logs []*raft.Log, at *Halt) []interface{} {
	resp := make([]interface{}, len(logs))
	err := at.err()
	for i, l := range logs {
		if l.Type == raft.LogCommand {
			resp[i] = err
		}
	}
	return resp
}

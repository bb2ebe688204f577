package sync

// A voter restored from a backup has an older log than the one it had and
// may have forgotten a vote it gave since (DESIGN.md, "Backups and
// recovery"). It must not vote while the cluster still counts it as a
// voter: `baoxue restore` leaves a restore mark in the data directory, and
// Open, finding it, asks the voters the backup names whether they still
// list this node as a voter before Raft starts.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/raft"
)

// restoreMarkName is the restore mark's file in the data directory.
const restoreMarkName = "restored.json"

// pathSuffrage answers a node whether the asking node is a voter in the
// answering node's Raft configuration.
const pathSuffrage = "/cluster/suffrage"

// RestoreMark is what the restore mark holds: the restored node and the Raft
// state its backup recorded (the register's applied index, the term of
// that entry, the current term and the configuration then).
type RestoreMark struct {
	NodeID     string    `json:"node_id"`
	RestoredAt time.Time `json:"restored_at"`
	RaftState
}

// MarkRestored writes the restore mark into dataDir: nodeID was restored
// there from a backup that recorded st. It is written to a temporary file
// and renamed, so a mark is whole or absent.
func MarkRestored(dataDir, nodeID string, st RaftState) error {
	raw, err := json.MarshalIndent(RestoreMark{NodeID: nodeID, RestoredAt: time.Now().UTC(), RaftState: st}, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dataDir, restoreMarkName)
	f, err := os.CreateTemp(dataDir, ".restored-*")
	if err != nil {
		return fmt.Errorf("write restore mark: %w", err)
	}
	_, err = f.Write(append(raw, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write restore mark: %w", err)
	}
	return nil
}

// ReadRestoreMark reads dataDir's restore mark; ok is false when there is
// none. A mark that cannot be read is an error, not an absent mark: the
// check it asks for must not be skipped.
func ReadRestoreMark(dataDir string) (m RestoreMark, ok bool, err error) {
	raw, err := os.ReadFile(filepath.Join(dataDir, restoreMarkName))
	if errors.Is(err, os.ErrNotExist) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("read restore mark: %w", err)
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.NodeID == "" {
		return m, false, fmt.Errorf("restore mark %s is damaged (%v): restore the backup again", filepath.Join(dataDir, restoreMarkName), err)
	}
	return m, true, nil
}

// clearRestoreMark removes dataDir's restore mark, if any.
func clearRestoreMark(dataDir string) error {
	if err := os.Remove(filepath.Join(dataDir, restoreMarkName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove restore mark: %w", err)
	}
	return nil
}

// otherVoters are the voters of the mark's configuration other than its node.
func (m RestoreMark) otherVoters() []BackupServer {
	var out []BackupServer
	for _, s := range m.Servers {
		if s.Voter && s.ID != m.NodeID {
			out = append(out, s)
		}
	}
	return out
}

// wasVoter reports whether the mark's node was a voter in its backup.
func (m RestoreMark) wasVoter() bool {
	for _, s := range m.Servers {
		if s.ID == m.NodeID && s.Voter {
			return true
		}
	}
	return false
}

// suffrageReply answers pathSuffrage: how the answering node's latest Raft
// configuration lists the asking node.
type suffrageReply struct {
	NodeID   string `json:"node_id"` // the answering node
	Member   bool   `json:"member"`
	Voter    bool   `json:"voter"`
	LeaderID string `json:"leader_id,omitempty"`
}

func (r *Replicator) handleSuffrage(w http.ResponseWriter, req *http.Request) {
	var in struct{}
	if !readRPC(w, req, &in) {
		return
	}
	ra, err := r.current()
	if err != nil {
		writeRPCError(w, err)
		return
	}
	f := ra.GetConfiguration()
	if err := f.Error(); err != nil {
		writeRPCError(w, fmt.Errorf("raft configuration: %v", err))
		return
	}
	caller := raft.ServerID(peerID(req))
	_, leader := ra.LeaderWithID()
	out := suffrageReply{NodeID: r.cfg.NodeID, LeaderID: string(leader)}
	for _, s := range f.Configuration().Servers {
		if s.ID == caller {
			out.Member, out.Voter = true, s.Suffrage == raft.Voter
		}
	}
	writeRPC(w, out)
}

// ErrRestoredVoter: this node was restored from a backup as a voter and the
// living cluster still counts it as one, or no voter could be asked. It
// must not start Raft: it may have forgotten what it acknowledged and voted
// for since the backup. The error says what to do.
var ErrRestoredVoter = errors.New("restored voter must be demoted first")

// suffrageAnswer is one voter's answer to pathSuffrage, or why there is none.
type suffrageAnswer struct {
	server BackupServer
	reply  suffrageReply
	err    error
}

// checkRestored decides, from the restore mark in DataDir, whether Raft may
// start (DESIGN.md, "Backups and recovery"): with no mark, for a node that
// was no voter and for a sole voter, yes (the last with a loud warning);
// for a voter among others only once every voter of the backup that
// answers lists it as a non-voter or not at all, and at least one answers
// (or RestoredDemoted is set). Called by Open with r.mu held, the cluster
// port open: it calls with client, not r.call.
func (r *Replicator) checkRestored(ctx context.Context, client *http.Client) (RestoreMark, bool, error) {
	m, ok, err := ReadRestoreMark(r.cfg.DataDir)
	if err != nil || !ok {
		return m, false, err
	}
	if m.NodeID != r.cfg.NodeID {
		return m, false, fmt.Errorf("restore mark in %s is for node %q, not %q", r.cfg.DataDir, m.NodeID, r.cfg.NodeID)
	}
	others := m.otherVoters()
	if !m.wasVoter() || len(others) == 0 {
		return m, true, nil
	}
	answers := make([]suffrageAnswer, len(others))
	done := make(chan struct{})
	for i, s := range others {
		go func() {
			defer func() { done <- struct{}{} }()
			actx, cancel := context.WithTimeout(ctx, statusTimeout)
			defer cancel()
			answers[i] = suffrageAnswer{server: s}
			answers[i].err = callWith(actx, client, s.Address, pathSuffrage, struct{}{}, &answers[i].reply)
		}()
	}
	for range others {
		<-done
	}
	return m, true, judgeRestored(m, answers, r.cfg.DataDir, r.cfg.RestoredDemoted)
}

// judgeRestored is checkRestored's decision for a voter among others, from
// the answers of the backup's other voters: nil lets Raft start.
func judgeRestored(m RestoreMark, answers []suffrageAnswer, dataDir string, override bool) error {
	demote := fmt.Sprintf("on a living voter's Nodes page demote %[1]s (or: POST /api/v1/cluster/nodes/%[1]s/demote as an administrator), then start this node again; promote it once it has caught up (README, \"Backups and upgrades\")", m.NodeID)
	heard := 0
	var unheard []string
	for _, a := range answers {
		if a.err != nil {
			unheard = append(unheard, fmt.Sprintf("%s at %s: %v", a.server.ID, a.server.Address, a.err))
			continue
		}
		if a.reply.Voter {
			return fmt.Errorf("%w: this node was restored from a backup and node %s still lists it as a voter; %s",
				ErrRestoredVoter, a.reply.NodeID, demote)
		}
		heard++
	}
	if heard > 0 || override {
		return nil
	}
	return fmt.Errorf("%w: this node was restored from a backup as a voter, and none of the backup's other voters answered (%s), so it cannot tell whether the cluster still counts it as a voter. If they are alive, %s. If they are gone for good, make this node the only voter: baoxue recover --data %s. If you have demoted it on a voter this machine cannot reach, start it once with --restored-demoted",
		ErrRestoredVoter, strings.Join(unheard, "; "), demote, dataDir)
}

// clearRestored removes the restore mark once Raft has started from the
// restored state, saying loudly what the restore means for this node.
func (r *Replicator) clearRestored(m RestoreMark) error {
	switch {
	case m.SoleVoter(m.NodeID):
		r.log.Warn("RESTORED FROM A BACKUP as the only voter: this node leads with the register as the backup held it; "+
			"what was written after the backup is lost everywhere (townships resend what is still in their outboxes)",
			"applied_index", m.AppliedIndex, "backup_term", m.Term)
	case m.wasVoter():
		r.log.Warn("restored from a backup as a voter: the cluster does not count it as a voter now; "+
			"it catches up as a non-voter, promote it on the Nodes page once it has (README, \"Backups and upgrades\")",
			"applied_index", m.AppliedIndex, "restored_demoted", r.cfg.RestoredDemoted)
	default:
		r.log.Info("restored from a backup; catching up with the cluster", "applied_index", m.AppliedIndex)
	}
	return clearRestoreMark(r.cfg.DataDir)
}

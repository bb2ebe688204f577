package sync

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"baoxue/store"
)

// Buckets of the outbox in the node's local.db (never replicated).
var (
	bucketOutboxMeta      = []byte("outbox.meta")      // keyOrigin, keyNextSeq
	bucketOutboxEntries   = []byte("outbox.entries")   // be64(seq) → outboxEntry
	bucketOutboxAttention = []byte("outbox.attention") // command id → Attention

	keyOrigin  = []byte("origin")
	keyNextSeq = []byte("next_seq")
)

// outboxEntry is one command waiting to be applied by the leader.
type outboxEntry struct {
	Command store.Command `json:"command"`
	At      time.Time     `json:"at"` // when this node took it
}

// queue is the Outbox's durable part: the commands this node took while it
// was not the leader, and the needs-attention list. Every append is one fsync'd bbolt transaction on local.db; the
// in-memory fields mirror the file so that status and lookups do not read
// it. Safe for concurrent use.
type queue struct {
	local  *bolt.DB
	nodeID string // for new origin ids

	mu        sync.Mutex
	origin    string // changes only by renumber
	nextSeq   uint64
	ids       map[string]uint64 // pending command id → seq
	targets   map[string]int    // record id → pending commands changing it
	oldest    time.Time         // At of the entry with the lowest seq
	attention int
	waiters   map[string][]chan store.Result // command id → Submits waiting for its result

	// failSettle, in tests, makes settle fail as a full disk would.
	failSettle func() error
}

// openQueue prepares the outbox buckets in local, makes this install's
// origin id at first use (nodeID plus random bits: a node re-installed
// under the same id with a fresh local.db starts a new origin and so a new
// sequence) and loads the pending entries' index. A local.db restored from
// an older copy keeps its origin with sequence numbers the register has
// used; the forwarder notices and renumbers (renumber).
func openQueue(local *bolt.DB, nodeID string) (*queue, error) {
	o := &queue{local: local, nodeID: nodeID, ids: map[string]uint64{}, targets: map[string]int{},
		waiters: map[string][]chan store.Result{}}
	err := local.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketOutboxMeta)
		if err != nil {
			return err
		}
		entries, err := tx.CreateBucketIfNotExists(bucketOutboxEntries)
		if err != nil {
			return err
		}
		att, err := tx.CreateBucketIfNotExists(bucketOutboxAttention)
		if err != nil {
			return err
		}
		if v := meta.Get(keyOrigin); v != nil {
			o.origin = string(v) // string() copies
		} else {
			if o.origin, err = newOrigin(nodeID); err != nil {
				return err
			}
			if err := meta.Put(keyOrigin, []byte(o.origin)); err != nil {
				return err
			}
		}
		o.nextSeq = 1
		if v := meta.Get(keyNextSeq); len(v) == 8 {
			o.nextSeq = binary.BigEndian.Uint64(v)
		}
		o.attention = att.Stats().KeyN
		return entries.ForEach(func(k, v []byte) error {
			var e outboxEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("outbox entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			o.track(e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("open outbox in local.db: %w", err)
	}
	return o, nil
}

// newOrigin makes an origin id: the node id and 48 random bits.
func newOrigin(nodeID string) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("make origin id: %w", err)
	}
	return nodeID + "." + hex.EncodeToString(b[:]), nil
}

// originOf reports whether origin is one newOrigin makes for nodeID: the
// node id, a dot and 12 hex digits (node ids may hold dots, the suffix
// cannot, so one origin belongs to one node).
func originOf(nodeID, origin string) bool {
	rest, ok := strings.CutPrefix(origin, nodeID+".")
	if !ok || nodeID == "" || len(rest) != 12 {
		return false
	}
	_, err := hex.DecodeString(rest)
	return err == nil
}

// track adds e to the in-memory index. Entries are tracked in sequence
// order, so the first one tracked is the oldest. Caller holds mu (or owns o).
func (o *queue) track(e outboxEntry) {
	if len(o.ids) == 0 {
		o.oldest = e.At
	}
	o.ids[e.Command.ID] = e.Command.Seq
	if t := store.TargetOf(e.Command); t != "" {
		o.targets[t]++
	}
}

// add appends cmd with this install's origin and the next sequence number,
// durably (fsync) before it returns, and returns cmd as queued. A command id
// already pending is not queued twice: its queued form is returned with
// queued false. wait, when not nil, is registered to receive the command's
// result if it settles.
func (o *queue) add(cmd store.Command, at time.Time, wait chan store.Result) (_ store.Command, queued bool, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if wait != nil {
		o.waiters[cmd.ID] = append(o.waiters[cmd.ID], wait)
	}
	if seq, ok := o.ids[cmd.ID]; ok {
		cmd.Origin, cmd.Seq = o.origin, seq
		return cmd, false, nil
	}
	cmd.Origin, cmd.Seq = o.origin, o.nextSeq
	e := outboxEntry{Command: cmd, At: at.UTC()}
	raw, err := json.Marshal(e)
	if err != nil {
		o.unwaitLocked(cmd.ID, wait)
		return cmd, false, fmt.Errorf("encode outbox entry: %w", err)
	}
	err = o.local.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketOutboxEntries).Put(u64key(cmd.Seq), raw); err != nil {
			return err
		}
		return tx.Bucket(bucketOutboxMeta).Put(keyNextSeq, u64key(cmd.Seq+1))
	})
	if err != nil {
		o.unwaitLocked(cmd.ID, wait)
		return cmd, false, fmt.Errorf("append to outbox: %w", err)
	}
	o.nextSeq++
	o.track(e)
	return cmd, true, nil
}

// unwait removes a Submit's waiter. It reports false if the result was
// delivered meanwhile (it is then in the channel).
func (o *queue) unwait(id string, wait chan store.Result) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.unwaitLocked(id, wait)
	return len(wait) == 0
}

func (o *queue) unwaitLocked(id string, wait chan store.Result) {
	ws := slices.DeleteFunc(o.waiters[id], func(w chan store.Result) bool { return w == wait })
	if len(ws) == 0 {
		delete(o.waiters, id)
	} else {
		o.waiters[id] = ws
	}
}

// entries returns up to max queued entries with a sequence above after, in
// sequence order.
func (o *queue) entries(after uint64, max int) ([]outboxEntry, error) {
	var out []outboxEntry
	err := o.local.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOutboxEntries).Cursor()
		for k, v := c.Seek(u64key(after + 1)); k != nil && len(out) < max; k, v = c.Next() {
			var e outboxEntry
			// Unmarshal copies: nothing of v outlives the transaction.
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("outbox entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// settled is an outbox entry whose result this node's replica holds.
type settled struct {
	entry  outboxEntry
	result store.Result
}

// settle removes done entries from the outbox in one transaction. A
// rejected one whose Submit is no longer waiting goes to the attention
// list; a waiting Submit gets its result instead (its author sees it).
func (o *queue) settle(done []settled, now time.Time) error {
	if len(done) == 0 {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var notify []settled
	err := o.local.Update(func(tx *bolt.Tx) error {
		if o.failSettle != nil {
			if err := o.failSettle(); err != nil {
				return err
			}
		}
		entries, att := tx.Bucket(bucketOutboxEntries), tx.Bucket(bucketOutboxAttention)
		for _, d := range done {
			if err := entries.Delete(u64key(d.entry.Command.Seq)); err != nil {
				return err
			}
			if _, waiting := o.waiters[d.entry.Command.ID]; waiting {
				notify = append(notify, d)
				continue
			}
			if d.result.State != store.StateRejected {
				continue
			}
			raw, err := json.Marshal(Attention{Command: d.entry.Command, Result: d.result,
				TakenAt: d.entry.At, RejectedAt: now.UTC()})
			if err != nil {
				return err
			}
			if att.Get([]byte(d.entry.Command.ID)) == nil {
				o.attention++
			}
			if err := att.Put([]byte(d.entry.Command.ID), raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// The counters may be off until restart; the file is unchanged.
		return fmt.Errorf("settle outbox entries: %w", err)
	}
	for _, d := range done {
		delete(o.ids, d.entry.Command.ID)
		if t := store.TargetOf(d.entry.Command); t != "" {
			if o.targets[t]--; o.targets[t] <= 0 {
				delete(o.targets, t)
			}
		}
	}
	for _, d := range notify {
		for _, w := range o.waiters[d.entry.Command.ID] {
			w <- d.result // buffered, one slot, one sender
		}
		delete(o.waiters, d.entry.Command.ID)
	}
	if len(o.ids) == 0 {
		o.oldest = time.Time{}
	} else {
		// The oldest remaining entry has the lowest remaining seq.
		first := ^uint64(0)
		for _, s := range o.ids {
			first = min(first, s)
		}
		if e, err := o.entries(first-1, 1); err == nil && len(e) == 1 {
			o.oldest = e[0].At
		}
	}
	return nil
}

// status counts the outbox.
func (o *queue) status() OutboxStatus {
	o.mu.Lock()
	defer o.mu.Unlock()
	return OutboxStatus{Pending: len(o.ids), Rejected: o.attention, OldestPendingAt: o.oldest}
}

// pending reports whether command id waits in the outbox.
func (o *queue) pending(id string) (store.Command, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock() // held so that a renumber cannot move seq meanwhile
	seq, ok := o.ids[id]
	if !ok {
		return store.Command{}, false, nil
	}
	es, err := o.entries(seq-1, 1)
	if err != nil || len(es) == 0 || es[0].Command.ID != id {
		return store.Command{}, false, err // settled meanwhile
	}
	return es[0].Command, true, nil
}

// pendingRecords returns the ids of records with changes in the outbox.
func (o *queue) pendingRecords() map[string]bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := make(map[string]bool, len(o.targets))
	for t := range o.targets {
		m[t] = true
	}
	return m
}

// firstSeq is the lowest pending sequence, or 0 when the outbox is empty.
func (o *queue) firstSeq() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	first := uint64(0)
	for _, s := range o.ids {
		if first == 0 || s < first {
			first = s
		}
	}
	return first
}

// size is the number of pending entries.
func (o *queue) size() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.ids)
}

// attentionList returns the needs-attention entries, oldest first; with
// user set, only that user's.
func (o *queue) attentionList(user string) ([]Attention, error) {
	var out []Attention
	err := o.local.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutboxAttention).ForEach(func(_, v []byte) error {
			var a Attention
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			if user == "" || a.Command.Actor.User == user {
				out = append(out, a)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read attention list: %w", err)
	}
	slices.SortFunc(out, func(a, b Attention) int { return a.RejectedAt.Compare(b.RejectedAt) })
	return out, nil
}

// attentionEntry returns one needs-attention entry, or ErrUnknownCommand.
func (o *queue) attentionEntry(id string) (Attention, error) {
	var a Attention
	found := false
	err := o.local.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketOutboxAttention).Get([]byte(id))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &a)
	})
	if err != nil {
		return Attention{}, fmt.Errorf("read attention entry: %w", err)
	}
	if !found {
		return Attention{}, ErrUnknownCommand
	}
	return a, nil
}

// dismiss removes a needs-attention entry; ErrUnknownCommand if none.
func (o *queue) dismiss(id string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	found := false
	err := o.local.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutboxAttention)
		if b.Get([]byte(id)) == nil {
			return nil
		}
		found = true
		return b.Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("dismiss attention entry: %w", err)
	}
	if !found {
		return ErrUnknownCommand
	}
	o.attention--
	return nil
}

func u64key(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// lastSeq is the highest sequence number handed out (0 if none).
func (o *queue) lastSeq() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.nextSeq - 1
}

// originSeq returns the origin id and the next sequence number.
func (o *queue) originSeq() (string, uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.origin, o.nextSeq
}

// renumber moves the outbox to a new origin, after the register showed that
// this one was rolled back (local.db restored from an older copy: its
// sequence numbers are used by other commands). In one transaction it makes
// a new origin id, renumbers every pending entry from 1 in its current
// order, and stores the origin and the next sequence. Ids, targets, waiters,
// oldest and the attention list are unchanged: the same commands wait, in
// the same order. It returns the old and new origin and how many entries it
// renumbered.
//
// This is safe for any entry: the register checks command ids before
// sequences, so an entry already applied under the old origin is answered
// by id under the new one and never applied twice.
func (o *queue) renumber() (old, fresh string, n int, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fresh, err = newOrigin(o.nodeID)
	if err != nil {
		return o.origin, "", 0, err
	}
	var es []outboxEntry
	err = o.local.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutboxEntries)
		err := b.ForEach(func(k, v []byte) error {
			var e outboxEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("outbox entry %d: %w", binary.BigEndian.Uint64(k), err)
			}
			es = append(es, e)
			return nil
		})
		if err != nil {
			return err
		}
		if err := tx.DeleteBucket(bucketOutboxEntries); err != nil {
			return err
		}
		if b, err = tx.CreateBucket(bucketOutboxEntries); err != nil {
			return err
		}
		for i := range es {
			es[i].Command.Origin, es[i].Command.Seq = fresh, uint64(i+1)
			raw, err := json.Marshal(es[i])
			if err != nil {
				return fmt.Errorf("encode outbox entry: %w", err)
			}
			if err := b.Put(u64key(uint64(i+1)), raw); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketOutboxMeta)
		if err := meta.Put(keyOrigin, []byte(fresh)); err != nil {
			return err
		}
		return meta.Put(keyNextSeq, u64key(uint64(len(es)+1)))
	})
	if err != nil {
		return o.origin, "", 0, fmt.Errorf("renumber outbox under a new origin: %w", err)
	}
	old = o.origin
	o.origin, o.nextSeq = fresh, uint64(len(es)+1)
	// The same entries in the same order: rebuild the index from them so
	// that memory matches the file.
	o.ids, o.targets, o.oldest = make(map[string]uint64, len(es)), map[string]int{}, time.Time{}
	for _, e := range es {
		o.track(e)
	}
	return old, fresh, len(es), nil
}

// pendingKind returns the pending commands of kind, in sequence order: one
// read of the outbox, however many records they change.
func (o *queue) pendingKind(kind string) ([]store.Command, error) {
	es, err := o.entries(0, int(^uint(0)>>1))
	if err != nil {
		return nil, err
	}
	var out []store.Command
	for _, e := range es {
		if e.Command.Kind == kind {
			out = append(out, e.Command)
		}
	}
	return out, nil
}

// pendingFor returns the pending commands that change record id (see
// targetOf), in sequence order.
func (o *queue) pendingFor(id string) ([]store.Command, error) {
	o.mu.Lock()
	n := o.targets[id]
	o.mu.Unlock()
	if n == 0 {
		return nil, nil
	}
	es, err := o.entries(0, int(^uint(0)>>1))
	if err != nil {
		return nil, err
	}
	var out []store.Command
	for _, e := range es {
		if store.TargetOf(e.Command) == id {
			out = append(out, e.Command)
		}
	}
	return out, nil
}

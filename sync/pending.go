package sync

import (
	"baoxue/store"
)

// PendingFor returns the commands waiting in this node's outbox that change
// record id (see store.TargetOf: a child, a case, or a case named by the report
// that opens it), in the order they will be applied.
func (r *Replicator) PendingFor(id string) ([]store.Command, error) {
	if r.fwd.box == nil {
		return nil, nil
	}
	return r.fwd.box.pendingFor(id)
}

func (o *outbox) pendingFor(id string) ([]store.Command, error) {
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

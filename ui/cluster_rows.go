package ui

import (
	"fmt"
	"time"
)

// staleAfter is how long a township may go unheard, or leave a change in
// its outbox, before the Nodes page warns.
const staleAfter = 24 * time.Hour

// clusterRow is one node on the Nodes page, with what the page derives.
type clusterRow struct {
	ClusterNode
	Behind    uint64 // log entries behind the most advanced node listed
	Known     bool   // heard from since this node started
	Silent    bool   // not heard from for staleAfter
	OldOutbox bool   // its oldest unsent change is older than staleAfter
}

// DiskText is the free disk in GiB, or "—" when unknown.
func (r clusterRow) DiskText() string {
	if r.DiskFree == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f GiB", float64(r.DiskFree)/(1<<30))
}

// clusterRows derives each node's lag and warnings. How far behind a node
// is counts from the most advanced applied index listed (the leader's, as
// a rule). A node is silent when it last answered more than a day ago, or
// never since this node started and that was more than a day ago: the last
// answers are remembered in memory only.
func (s *Server) clusterRows(lang string, nodes []ClusterNode, towns map[string]string) ([]clusterRow, []string) {
	now := s.now()
	var top uint64
	for _, n := range nodes {
		if n.Reachable || !n.LastContact.IsZero() {
			top = max(top, n.AppliedIndex)
		}
	}
	rows := make([]clusterRow, len(nodes))
	var warns []string
	for i, n := range nodes {
		r := clusterRow{ClusterNode: n, Known: n.Reachable || !n.LastContact.IsZero()}
		if r.Known {
			r.Behind = top - min(top, n.AppliedIndex)
		}
		r.Silent = !n.Self && !n.Reachable && (r.Known && now.Sub(n.LastContact) > staleAfter ||
			!r.Known && now.Sub(s.started) > staleAfter)
		r.OldOutbox = n.OutboxPending > 0 && !n.OutboxOldestAt.IsZero() && now.Sub(n.OutboxOldestAt) > staleAfter
		name := n.ID
		if t := towns[n.Township]; t != "" {
			name = t + "（" + n.ID + "）"
		}
		if r.Silent {
			warns = append(warns, translate(lang, "cluster.warn_silent", name))
		}
		if r.OldOutbox {
			warns = append(warns, translate(lang, "cluster.warn_outbox", name, formatTime(lang, n.OutboxOldestAt)))
		}
		if n.UpgradeRequired {
			warns = append(warns, translate(lang, "cluster.warn_upgrade", name))
		}
		rows[i] = r
	}
	return rows, warns
}

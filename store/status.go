package store

import (
	"bytes"
	"encoding/json"
)

// resumption checks a change's event against the child's status: a
// resumption ends a suspension, a transfer in does not end one; a change
// from suspended to enrolled is a resumption. It returns the date of the
// suspension a resumption ends.
func resumption(a *applyCtx, s *Student, p *StudentStatus) (ends string, err error) {
	switch {
	case p.Event == EventResumption && s.Status != StatusSuspended:
		return "", &rejection{code: CodeState, field: "event", reason: "a resumption ends a suspension: the child's status is " + s.Status}
	case p.Event == EventTransferIn && s.Status == StatusSuspended:
		return "", &rejection{code: CodeState, field: "event", reason: "a suspended child comes back by a resumption, not a transfer in"}
	case s.Status != StatusSuspended || p.Status != StatusEnrolled:
		return "", nil
	}
	p.Event = EventResumption
	prefix := u64(mustParseID(s.ID))
	c := a.tx.Bucket(bucketStatusChanges).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var x StatusChange
		if err := json.Unmarshal(v, &x); err != nil {
			return "", err
		}
		if x.To == StatusSuspended {
			ends = x.Date // the last one wins
		}
	}
	if ends != "" && p.Date < ends {
		return "", &rejection{code: CodeInvalid, field: "date", reason: "a resumption cannot be dated before the suspension it ends (" + ends + ")"}
	}
	return ends, nil
}

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
		return "", reject(CodeState, "a resumption ends a suspension: the child's status is "+s.Status).on("event")
	case p.Event == EventTransferIn && s.Status == StatusSuspended:
		return "", reject(CodeState, "a suspended child comes back by a resumption, not a transfer in").on("event")
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
		return "", reject(CodeInvalid, "a resumption cannot be dated before the suspension it ends ("+ends+")").on("date")
	}
	return ends, nil
}

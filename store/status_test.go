package store

import "testing"

// 转入 needs where the child comes from; 复学 ends a suspension, names its
// date, and is what any change from suspended to enrolled is (R6).
func TestTransferInAndResumption(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	id := a.must(cmd(t, "admin", KindStudentCreate, child(t, 1, "V1", "P1", 3, 1))).RecordID
	status := func(p StudentStatus) Result {
		p.ID = id
		return a.apply(cmd(t, "p1", KindStudentStatus, p))
	}
	for _, tc := range []struct {
		p          StudentStatus
		code, fail string
	}{
		{StudentStatus{Status: StatusEnrolled, Date: "2026-09-01", Event: EventResumption}, CodeState, "status"}, // enrolled already
		{StudentStatus{Status: StatusSuspended, Date: "2026-09-01", Reason: "病休", Event: EventResumption}, CodeInvalid, "event"},
		{StudentStatus{Status: StatusTransferredOut, Date: "2026-09-01", Destination: "柳州市第一中学", Origin: "x"}, CodeInvalid, "origin"},
	} {
		if r := status(tc.p); r.Code != tc.code || r.Field != tc.fail {
			t.Errorf("%+v: %+v, want %s on %s", tc.p, r, tc.code, tc.fail)
		}
	}
	a.must(cmd(t, "p1", KindStudentStatus, StudentStatus{ID: id, Status: StatusSuspended, Date: "2026-09-01", Reason: "病休"}))
	if r := status(StudentStatus{Status: StatusEnrolled, Date: "2026-09-20", Event: EventTransferIn, Origin: "柳州市某校"}); r.Code != CodeState || r.Field != "event" {
		t.Errorf("a suspended child transferred in: %+v", r)
	}
	if r := status(StudentStatus{Status: StatusEnrolled, Date: "2026-08-20"}); r.Code != CodeInvalid || r.Field != "date" {
		t.Errorf("a resumption before its suspension: %+v", r)
	}
	a.must(cmd(t, "p1", KindStudentStatus, StudentStatus{ID: id, Status: StatusEnrolled, Date: "2026-10-08"}))
	a.must(cmd(t, "p1", KindStudentStatus, StudentStatus{ID: id, Status: StatusTransferredOut, Date: "2026-10-09", Destination: "柳州市第一中学"}))
	if r := status(StudentStatus{Status: StatusEnrolled, Date: "2026-10-20", Event: EventResumption}); r.Code != CodeState || r.Field != "event" {
		t.Errorf("a resumption of a child transferred out: %+v", r)
	}
	if r := status(StudentStatus{Status: StatusEnrolled, Date: "2026-10-20", Event: EventTransferIn}); r.Code != CodeInvalid || r.Field != "origin" {
		t.Errorf("a transfer in from nowhere: %+v", r)
	}
	a.must(cmd(t, "p1", KindStudentStatus, StudentStatus{ID: id, Status: StatusEnrolled, Date: "2026-10-20", Event: EventTransferIn, Origin: "柳州市第一中学"}))
	h, err := db.StatusHistory(DistrictScope, id)
	if err != nil || len(h) != 4 {
		t.Fatalf("history %+v, %v", h, err)
	}
	if r := h[1]; r.Event != EventResumption || r.Ends != "2026-09-01" || r.To != StatusEnrolled {
		t.Errorf("resumption %+v: want event resumption ending the suspension of 2026-09-01", r)
	}
	if r := h[3]; r.Event != EventTransferIn || r.Origin != "柳州市第一中学" || r.From != StatusTransferredOut {
		t.Errorf("transfer in %+v", r)
	}
}

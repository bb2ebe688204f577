package ui

import (
	"net/http"
	"testing"
	"time"
)

// Opening one case again and again is one read record per user and way
// within a few minutes: a reader reloading a case 50 times leaves one
// record, another user or another way (print) leaves its own, and a read
// after the window is recorded again.
func TestRepeatedCaseReadsCoalesce(t *testing.T) {
	ce := newCaseEnv(t)
	now := testTime.Add(4 * time.Hour)
	ce.srv.now = func() time.Time { return now }
	ce.report(ce.teacher, ce.child, http.StatusCreated)
	viewer := ce.login("viewer", "password-1")
	for i := 0; i < 50; i++ {
		ce.api("GET", "/api/v1/cases/C1", viewer, nil).want(t, http.StatusOK, "read")
	}
	br := ce.browser()
	br.login("viewer", "password-1")
	br.get("/cases/C1").want(t, http.StatusOK, "page")
	br.get("/cases/C1").want(t, http.StatusOK, "page again")
	br.get("/cases/C1/print").want(t, http.StatusOK, "print")
	ce.api("GET", "/api/v1/cases/C1", ce.officer, nil).want(t, http.StatusOK, "officer")
	now = now.Add(readCoalesce)
	ce.api("GET", "/api/v1/cases/C1", viewer, nil).want(t, http.StatusOK, "read after the window")

	var reads struct{ Items []caseRead }
	ce.api("GET", "/api/v1/cases/C1/reads", ce.admin, nil).want(t, http.StatusOK, "reads").json(t, &reads)
	count := map[string]int{}
	for _, r := range reads.Items {
		count[r.User+" "+r.Via]++
	}
	want := map[string]int{"viewer api": 2, "viewer page": 1, "viewer print": 1, "officer api": 1}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s: %d records, want %d (all: %v)", k, count[k], n, count)
		}
	}
	if len(reads.Items) != 5 {
		t.Errorf("%d read records, want 5", len(reads.Items))
	}
}

package ui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
)

func TestRegisterDigest(t *testing.T) {
	e := newEnv(t)
	admin := e.setupOrg()
	digest := func() digestJSON {
		t.Helper()
		var d digestJSON
		e.api("GET", "/api/v1/register/digest", admin, nil).want(t, http.StatusOK, "digest").json(t, &d)
		return d
	}
	// The digest is the SHA-256 of the dump, at the index the dump holds.
	check := func(d digestJSON) {
		t.Helper()
		var dump bytes.Buffer
		if err := e.db.Dump(&dump); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(dump.Bytes())
		if d.SHA256 != hex.EncodeToString(sum[:]) || d.AppliedIndex != e.db.AppliedIndex() || d.AppliedIndex == 0 {
			t.Errorf("digest %+v; want sha256 %x at index %d", d, sum, e.db.AppliedIndex())
		}
	}
	before := digest()
	check(before)
	if again := digest(); again != before {
		t.Errorf("digest of an unchanged register changed: %+v, then %+v", before, again)
	}
	e.createChild(admin, child("韦小明", 13))
	after := digest()
	check(after)
	if after.SHA256 == before.SHA256 || after.AppliedIndex != before.AppliedIndex+1 {
		t.Errorf("after a write: %+v, before: %+v", after, before)
	}

	officer := e.login("officer", "password-1")
	e.api("GET", "/api/v1/register/digest", officer, nil).want(t, http.StatusForbidden, "digest as officer")
	e.api("GET", "/api/v1/register/digest", "", nil).want(t, http.StatusUnauthorized, "digest without login")
}

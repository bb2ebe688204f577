package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestDisabledUserLosesTownshipSession: sessions are local to a node, so
// the bureau cannot delete a township's; the register says whose session
// still counts. A township officer logged in on the township's node keeps
// working there while the node is cut off and has not heard that the
// bureau disabled the officer; as soon as the node has applied the change
// the session is refused, and so is a new login.
func TestDisabledUserLosesTownshipSession(t *testing.T) {
	c := newCluster(t, fastTiming())
	bureau := c.node("bureau")
	orgTreeOn(t, bureau)
	bureau.mustAPI(t, "POST", "/api/v1/users", map[string]string{"username": "lapu-officer", "password": "officer-pass-1",
		"role": "officer", "line": "government", "scope": "township:" + townshipCode}, 201, nil)
	town := c.join(t, "lapu", townshipCode, false)
	c.waitConverged(t, 30*time.Second)

	code, raw, err := asUser(town, "", "POST", "/api/v1/login", map[string]string{"username": "lapu-officer", "password": "officer-pass-1"})
	var out struct{ Token string }
	if err != nil || code != 200 || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("the officer logs in on the township node: %d %s %v", code, raw, err)
	}
	students := func() int {
		code, raw, err := asUser(town, out.Token, "GET", "/api/v1/students", nil)
		if err != nil {
			t.Fatalf("GET /api/v1/students on %s: %v", town.id, err)
		}
		if code != 200 && code != 401 {
			t.Fatalf("GET /api/v1/students on %s: HTTP %d %s", town.id, code, raw)
		}
		return code
	}
	if got := students(); got != 200 {
		t.Fatalf("the officer's session before: HTTP %d", got)
	}

	c.isolate(town)
	bureau.mustAPI(t, "PATCH", "/api/v1/users/lapu-officer", map[string]any{"disabled": true}, 200, nil)
	if got := students(); got != 200 {
		t.Errorf("the session on the cut-off township node, which has not applied the change: HTTP %d, want 200", got)
	}
	c.heal()
	waitFor(t, 60*time.Second, "the township node to refuse the disabled officer's session", func() error {
		if got := students(); got != 401 {
			return fmt.Errorf("HTTP %d", got)
		}
		return nil
	})
	code, raw, err = asUser(town, "", "POST", "/api/v1/login", map[string]string{"username": "lapu-officer", "password": "officer-pass-1"})
	if err != nil || code != 403 {
		t.Errorf("the disabled officer logs in on the township node: HTTP %d %s %v, want 403", code, raw, err)
	}
}

// asUser sends a JSON request to p with a user's token ("" for none).
func asUser(p *proc, token, method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, "http://"+p.httpAddr+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

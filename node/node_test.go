package node

import (
	"bytes"
	"context"
	"testing"

	"baoxue/store"
)

type created struct {
	Student store.Student `json:"student"`
	Command struct {
		ID, State, Reason string
	} `json:"command"`
}

type page struct {
	Items      []store.Student `json:"items"`
	NextCursor string          `json:"next_cursor"`
	Total      int             `json:"total"`
}

// TestRegisterThroughTheAPI follows a child from registration to transfer
// through a real node (Raft, bbolt, HTTP), then restarts the node.
func TestRegisterThroughTheAPI(t *testing.T) {
	dir := t.TempDir()
	n := mustStart(t, testConfig(t, dir, true))
	admin := login(t, n, "admin", adminPassword)
	orgTree(admin)

	// Create; resubmitting the same command id returns the same child.
	body := newChild(t, 1, "S100", 3)
	body["command_id"] = "cmd-create-1"
	var first, again created
	admin.must("POST", "/api/v1/students", body, 201, &first)
	admin.must("POST", "/api/v1/students", body, 201, &again)
	if first.Command.State != "applied" || first.Student.ID == "" || again.Student.ID != first.Student.ID {
		t.Fatalf("create %+v, resubmit %+v", first, again)
	}
	id := first.Student.ID
	var p page
	admin.must("GET", "/api/v1/students", nil, 200, &p)
	if p.Total != 1 {
		t.Fatalf("total %d after a resubmitted create, want 1", p.Total)
	}

	// Bad input: a clear error naming the field, and nothing written.
	badCheck := newChild(t, 3, "S100", 3)
	idn := badCheck["id_number"].(string)
	badCheck["id_number"] = idn[:17] + map[bool]string{true: "0", false: "1"}[idn[17] != '0']
	unknownSchool := newChild(t, 5, "NOPE", 3)
	dup := newChild(t, 1, "S100", 4) // the first child again, in another grade
	dup["id_number"] = newChild(t, 1, "S100", 3)["id_number"]
	for _, tc := range []struct {
		name  string
		body  any
		code  int
		field string
	}{
		{"bad JSON", `{"name": "x",`, 400, ""},
		{"wrong check digit", badCheck, 400, "id_number"},
		{"unknown school", unknownSchool, 400, "school_code"},
		{"duplicate child", dup, 409, "id_number"},
	} {
		var out struct {
			Error      string `json:"error"`
			Field      string `json:"field"`
			ExistingID string `json:"existing_id"`
			Command    struct{ State, Reason string }
		}
		if code := admin.do("POST", "/api/v1/students", tc.body, &out); code != tc.code {
			t.Errorf("%s: HTTP %d, want %d (%+v)", tc.name, code, tc.code, out)
		}
		if out.Field != tc.field {
			t.Errorf("%s: field %q, want %q", tc.name, out.Field, tc.field)
		}
		if tc.code == 409 && (out.Command.State != "rejected" || out.ExistingID != id) {
			t.Errorf("%s: %+v, want rejected pointing at %s", tc.name, out, id)
		}
		admin.must("GET", "/api/v1/students", nil, 200, &p)
		if p.Total != 1 {
			t.Errorf("%s: total %d, want 1: the register changed", tc.name, p.Total)
		}
	}

	// Edit at the version seen; a stale version is a conflict.
	var edited created
	admin.must("PATCH", "/api/v1/students/"+id, map[string]any{"version": 1, "name": "覃一"}, 200, &edited)
	if edited.Student.Version != 2 || edited.Student.Name != "覃一" {
		t.Fatalf("edit: %+v", edited.Student)
	}
	admin.must("PATCH", "/api/v1/students/"+id, map[string]any{"version": 1, "name": "覃二"}, 409, nil)

	// Status change: transfer out needs a destination.
	admin.must("POST", "/api/v1/students/"+id+"/status", map[string]string{"status": "transferred_out", "date": "2026-11-02"}, 400, nil)
	admin.must("POST", "/api/v1/students/"+id+"/status",
		map[string]string{"status": "transferred_out", "date": "2026-11-02", "destination": "广东省东莞市某小学"}, 200, nil)

	var before bytes.Buffer
	n.Store().Dump(&before)
	applied := n.Store().AppliedIndex()
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Restart with only the data directory.
	n2 := mustStart(t, testConfig(t, dir, false))
	if n2.ID() != "bureau" {
		t.Errorf("restarted node id %q", n2.ID())
	}
	if got := n2.Store().AppliedIndex(); got != applied {
		t.Errorf("applied index %d after restart, want %d", got, applied)
	}
	var after bytes.Buffer
	n2.Store().Dump(&after)
	if !bytes.Equal(before.Bytes(), after.Bytes()) {
		t.Error("register differs after restart")
	}
	admin2 := login(t, n2, "admin", adminPassword)
	var s store.Student
	admin2.must("GET", "/api/v1/students/"+id, nil, 200, &s)
	if s.Status != store.StatusTransferredOut || s.Version != 3 || s.Name != "覃一" {
		t.Errorf("after restart: %+v", s)
	}
}

// TestScopesThroughTheAPI: a school user sees only the school's children.
func TestScopesThroughTheAPI(t *testing.T) {
	n := mustStart(t, testConfig(t, t.TempDir(), true))
	admin := login(t, n, "admin", adminPassword)
	orgTree(admin)
	var a, b created
	admin.must("POST", "/api/v1/students", newChild(t, 1, "S100", 3), 201, &a)
	admin.must("POST", "/api/v1/students", newChild(t, 3, "S101", 8), 201, &b)
	admin.must("POST", "/api/v1/users", map[string]string{"username": "xiaozhang", "password": "school-pw-1",
		"display_name": "校长", "role": "officer", "line": "education", "scope": "school:S101"}, 201, nil)
	school := login(t, n, "xiaozhang", "school-pw-1")
	var p page
	school.must("GET", "/api/v1/students", nil, 200, &p)
	if p.Total != 1 || len(p.Items) != 1 || p.Items[0].ID != b.Student.ID {
		t.Errorf("school user lists %+v", p)
	}
	school.must("GET", "/api/v1/students/"+a.Student.ID, nil, 404, nil)
	school.must("POST", "/api/v1/students/"+a.Student.ID+"/status",
		map[string]string{"status": "dropped_out", "date": "2026-11-02", "reason": "厌学"}, 404, nil)
	school.must("POST", "/api/v1/townships", map[string]string{"code": "X", "name": "x"}, 403, nil)
}

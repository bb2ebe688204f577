package store

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

// A record changed under the cache (another transaction, a restored file)
// is read as it is now, not as first decoded: the cache is keyed by bytes.
func TestDecodeCacheFollowsStoredBytes(t *testing.T) {
	db := mustOpen(t)
	put := func(u User) {
		t.Helper()
		if err := db.bolt.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bucketUsers), []byte(u.Username), u) }); err != nil {
			t.Fatal(err)
		}
	}
	put(User{Username: "li", Role: RoleAdmin, DisplayName: "李"})
	if u, err := db.User("li"); err != nil || u.Role != RoleAdmin {
		t.Fatalf("first read: %+v %v", u, err)
	}
	put(User{Username: "li", Role: RoleViewer, DisplayName: "李"})
	if u, err := db.User("li"); err != nil || u.Role != RoleViewer {
		t.Fatalf("after the change the cache still answers the old role: %+v %v", u, err)
	}
	if _, err := db.User("wang"); err != ErrNotFound {
		t.Fatalf("unknown user: %v", err)
	}
}

// A child read back from the cache right after it is written is the child
// decoded from the file, and a reader changing its copy changes no other.
func TestStudentReadBackIsTheStoredRecord(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	for i, flags := range [][]string{nil, {}, {FlagLeftBehind}} {
		f := child(t, i+1, "V1", "P1", 3, 1)
		f.Flags = flags
		f.Guardians = []Guardian{{Name: "黄保林", Relation: "祖父", Phone: "18649547234"}}
		r := a.must(cmd(t, "p1", KindStudentCreate, f))
		got, err := db.GetStudent(DistrictScope, r.RecordID)
		if err != nil {
			t.Fatal(err)
		}
		var fromFile Student
		db.view(func(tx *bolt.Tx) error {
			key := u64(mustParseID(r.RecordID))
			return decodeStudent(key, tx.Bucket(bucketStudents).Get(key), &fromFile)
		})
		if d := cmp.Diff(fromFile, got); d != "" {
			t.Errorf("flags %#v: read back differs from the file (-file +read):\n%s", flags, d)
		}
		gj, _ := json.Marshal(got)
		fj, _ := json.Marshal(fromFile)
		if string(gj) != string(fj) {
			t.Errorf("flags %#v: the API would answer %s, not %s", flags, gj, fj)
		}
		got.Guardians[0].Name = "changed"
		again, _ := db.GetStudent(DistrictScope, r.RecordID)
		if again.Guardians[0].Name != "黄保林" {
			t.Errorf("a reader's change reached the cache: %q", again.Guardians[0].Name)
		}
	}
}

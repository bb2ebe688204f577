package store

import (
	"testing"

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

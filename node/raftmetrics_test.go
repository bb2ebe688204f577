package node

import (
	"slices"
	"testing"
)

// TestSnakeKeys: raft's metric names reach Prometheus in snake_case, the
// remembered answer the same as a fresh one, keys of other lengths apart.
func TestSnakeKeys(t *testing.T) {
	for _, c := range []struct{ key, want []string }{
		{[]string{"raft", "commitTime"}, []string{"raft", "commit_time"}},
		{[]string{"raft", "commitTime", ""}, []string{"raft", "commit_time", ""}},
		{[]string{"raft", "replication", "appendEntries", "rpc", "v2"}, []string{"raft", "replication", "append_entries", "rpc", "v2"}},
	} {
		for range 2 {
			if got := snake(c.key); !slices.Equal(got, c.want) {
				t.Errorf("snake(%q) = %q, want %q", c.key, got, c.want)
			}
		}
	}
}

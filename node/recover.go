package node

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"baoxue/store"
	ledgersync "baoxue/sync"

	bolt "go.etcd.io/bbolt"
)

// Recover makes the stopped node in dataDir the only voter of its cluster,
// from its own data (ledgersync.RecoverCluster): for when the other voters
// are lost for good and no majority can be had. What the lost voters had
// committed and this node had not received is lost, on every node; `baoxue
// recover` prints the warning. After it, `serve --data dataDir` leads at
// once; remove the lost voters (DELETE /api/v1/cluster/nodes/{id}) and join
// new ones.
func Recover(dataDir string) (ledgersync.Recovered, error) {
	local, err := bolt.Open(filepath.Join(dataDir, "local.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return ledgersync.Recovered{}, fmt.Errorf("open local.db (is the node still running?): %w", err)
	}
	var s settings
	err = local.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSettings)
		if b == nil || b.Get([]byte("identity")) == nil {
			return fmt.Errorf("%s holds no node", dataDir)
		}
		return json.Unmarshal(b.Get([]byte("identity")), &s)
	})
	local.Close()
	if err != nil {
		return ledgersync.Recovered{}, err
	}
	addr := s.ClusterAdvertise
	if addr == "" {
		addr = s.ClusterAddr
	}
	db, err := store.Open(filepath.Join(dataDir, "register.db"), nil)
	if err != nil {
		return ledgersync.Recovered{}, err
	}
	defer db.Close()
	return ledgersync.RecoverCluster(dataDir, s.NodeID, addr, db)
}

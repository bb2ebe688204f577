package node

// Bootstrap is all or nothing: a district whose bootstrap stopped halfway
// (a full disk, a crash, no leadership in time) is never served as if it
// were whole, with no users and no warning.

import (
	"context"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"baoxue/store"
	ledgersync "baoxue/sync"
	"baoxue/sync/pki"
)

// ErrUnfinishedBootstrap: the data directory holds a district whose
// bootstrap did not finish; the error says how to finish it or start over.
var ErrUnfinishedBootstrap = errors.New("the district's bootstrap did not finish")

// The bootstrap's progress, in local.db's settings bucket: "started" from
// before anything of a new district is made until the district, its admin
// and this node's registration are all in the register, then "done". A
// data directory without the key was bootstrapped before it was kept, or
// joined.
var keyBootstrap = []byte("bootstrap")

const (
	bootstrapStarted = "started"
	bootstrapDone    = "done"
)

// checkBootstrapSpace refuses to begin a new district on a disk without the
// free space the log needs (Sync.MinFreeBytes), before anything is made.
func checkBootstrapSpace(cfg Config) error {
	if !cfg.Bootstrap || pki.Exists(cfg.DataDir) {
		return nil
	}
	if err := ledgersync.CheckDisk(cfg.DataDir, cfg.Sync.MinFreeBytes); err != nil {
		return fmt.Errorf("bootstrap: %w; nothing was made: free space (or lower --raft-min-free-bytes) and start again", err)
	}
	return nil
}

// bootstrapState refuses to serve a half-made district without
// --bootstrap, and records that a bootstrap has begun.
func (n *Node) bootstrapState() error {
	return n.local.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSettings)
		state := string(b.Get(keyBootstrap))
		switch {
		case !n.cfg.Bootstrap && state == bootstrapStarted:
			return fmt.Errorf("%w in %s (the district, its admin user or this node's registration is missing): "+
				"start again with --bootstrap and the same --district-code, --district-name and --admin-password to finish it, "+
				"or move the directory away to start afresh", ErrUnfinishedBootstrap, n.cfg.DataDir)
		case n.cfg.Bootstrap && state != bootstrapDone && (state == bootstrapStarted || !pki.Exists(n.cfg.DataDir)):
			return b.Put(keyBootstrap, []byte(bootstrapStarted))
		}
		return nil
	})
}

// bootstrap sets up the district and its admin, registers this node, and
// records that the bootstrap is done. Each step does nothing when already
// made, so a second run finishes an unfinished one.
func (n *Node) bootstrap(ctx context.Context) error {
	if err := n.initDistrict(ctx); err != nil {
		return err
	}
	// The first node in the node registry, holding the CA key.
	if err := n.rep.RegisterSelf(ctx); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	return n.local.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSettings).Put(keyBootstrap, []byte(bootstrapDone))
	})
}

// initDistrict sets up the district and its admin once this node leads. On
// a register that already has a district it does nothing.
func (n *Node) initDistrict(ctx context.Context) error {
	if _, err := n.db.District(); err == nil {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := n.rep.WaitLeader(wctx); err != nil {
		return fmt.Errorf("bootstrap: wait for leadership: %w", err)
	}
	hash, err := store.HashPassword(n.cfg.AdminPassword)
	if err != nil {
		return err
	}
	cmd, err := store.NewCommand("district.init:"+n.cfg.DistrictCode, store.Actor{User: "admin", Role: store.RoleAdmin, Node: n.cfg.NodeID},
		store.DistrictInit{District: store.District{Code: n.cfg.DistrictCode, Name: n.cfg.DistrictName},
			Admin: store.User{Username: "admin", DisplayName: "管理员", Role: store.RoleAdmin, Line: store.LineEducation, Scope: store.DistrictScope, PasswordHash: hash}})
	if err != nil {
		return err
	}
	r, err := n.rep.Submit(ctx, cmd)
	if err != nil {
		return fmt.Errorf("bootstrap: set up district: %w", err)
	}
	if !r.Applied() {
		return fmt.Errorf("bootstrap: set up district: %s", r.Reason)
	}
	return nil
}

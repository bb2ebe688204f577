package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net"

	ledgersync "baoxue/sync"
)

// Config configures a node. Start from DefaultConfig.
type Config struct {
	// DataDir holds register.db, local.db and raft/ (architecture.md).
	DataDir string
	// NodeID, HTTPAddr and ClusterAddr may be left empty when DataDir holds
	// a node already: the values of its first start are kept in local.db.
	NodeID      string
	HTTPAddr    string
	ClusterAddr string

	// Bootstrap starts a new district register on an empty DataDir: a
	// one-voter cluster, the district, and the admin user.
	Bootstrap     bool
	DistrictCode  string
	DistrictName  string
	AdminPassword string // at least 8 characters; required with Bootstrap

	// SecureCookies marks session cookies Secure (behind TLS).
	SecureCookies bool

	// Sync holds the replication settings; its NodeID, DataDir, ClusterAddr,
	// Bootstrap and Logger are filled in by Open.
	Sync ledgersync.Config

	Logger *slog.Logger
}

// DefaultConfig returns a Config with the replication defaults for WAN links.
func DefaultConfig() Config {
	return Config{Sync: ledgersync.DefaultConfig(), DistrictCode: "450206", DistrictName: "柳江区"}
}

// validate checks the config once the stored settings are merged in.
func (c *Config) validate() error {
	switch {
	case c.DataDir == "":
		return errors.New("DataDir is empty")
	case c.NodeID == "":
		return errors.New("NodeID is empty (needed on first start)")
	case c.HTTPAddr == "":
		return errors.New("HTTPAddr is empty (needed on first start)")
	case c.ClusterAddr == "":
		return errors.New("ClusterAddr is empty (needed on first start)")
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return fmt.Errorf("HTTPAddr %q: %w", c.HTTPAddr, err)
	}
	if c.Bootstrap && len(c.AdminPassword) < 8 {
		return errors.New("AdminPassword must have at least 8 characters")
	}
	return nil
}

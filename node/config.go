package node

import (
	"errors"
	"fmt"
	"log/slog"
	"net"

	"baoxue/node/mdns"
	"baoxue/store"
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
	// ClusterAdvertise is the address other nodes dial for this node's
	// cluster port when it differs from ClusterAddr (NAT, port forward, a
	// test proxy). Kept in local.db like ClusterAddr; empty: ClusterAddr.
	ClusterAdvertise string

	// JoinToken joins an existing cluster on an empty DataDir (from `POST
	// /api/v1/cluster/tokens` on any node). Not kept: once joined, DataDir
	// holds the certificate and Raft state, so a restart needs only DataDir.
	JoinToken string
	// Township is the township code this node serves, recorded in the
	// cluster's node registry at join (or bootstrap) so that every node can
	// list nodes by township. Kept in local.db; empty for the bureau.
	Township string

	// Bootstrap starts a new district register on an empty DataDir: a
	// one-voter cluster, the district, and the admin user. DistrictCode and
	// DistrictName name the district; both are required with Bootstrap.
	Bootstrap     bool
	DistrictCode  string
	DistrictName  string
	AdminPassword string // store.ValidatePassword (10 characters or more, not a common one); required with Bootstrap

	// Version is what this node reports as its version to the others
	// (the bureau's Nodes page); empty: from the binary's build
	// information.
	Version string

	// The web port speaks HTTPS with a certificate from the district CA for
	// the node's addresses and .local name (DATA/tls/web.crt, issued at
	// first start and when the addresses change), or with HTTPSCert and
	// HTTPSKey (PEM files) when given. PlainHTTP serves plain HTTP instead:
	// only behind an explicit flag (and the demo on 127.0.0.1).
	// PlainLoopback serves plain HTTP when the web port is bound to a
	// loopback address only: traffic that never leaves the machine gains
	// nothing from TLS, and local tools (scripts, benchmarks) speak HTTP.
	// `serve` sets it unless --http-plain is given either way.
	HTTPSCert, HTTPSKey string
	PlainHTTP           bool
	PlainLoopback       bool

	// SecureCookies marks session cookies Secure when the node serves
	// plain HTTP behind a TLS proxy (HTTPS sets them Secure anyway).
	SecureCookies bool

	// Sync holds the replication settings; its NodeID, DataDir, ClusterAddr,
	// Bootstrap and Logger are filled in by Open.
	Sync ledgersync.Config

	// Backup writes a backup archive every day (backup_schedule.go); off
	// when Backup.Dir is empty.
	Backup BackupSchedule

	// ImportMaxMB is the largest spreadsheet an import takes, in MB
	// (ui/imports.go); 0: 20.
	ImportMaxMB int

	// MDNS advertises the node on its LAN (node/mdns). On in DefaultConfig.
	MDNS mdns.Config

	Logger *slog.Logger
}

// DefaultConfig returns a Config with the replication defaults for WAN links
// and mDNS on. It names no district: a bootstrap gives its own.
func DefaultConfig() Config {
	return Config{Sync: ledgersync.DefaultConfig(), MDNS: mdns.Config{Enabled: true},
		Backup: BackupSchedule{Keep: 7, At: "02:30"}}
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
	if (c.HTTPSCert == "") != (c.HTTPSKey == "") {
		return errors.New("HTTPSCert and HTTPSKey go together")
	}
	if c.PlainHTTP && c.HTTPSCert != "" {
		return errors.New("PlainHTTP and HTTPSCert are both set: the web port speaks one")
	}
	if err := c.Backup.validate(); err != nil {
		return err
	}
	if c.Bootstrap && c.JoinToken != "" {
		return errors.New("Bootstrap and JoinToken are both set: a node starts a district or joins one")
	}
	if c.Bootstrap && (c.DistrictCode == "" || c.DistrictName == "") {
		return errors.New("DistrictCode and DistrictName are required with Bootstrap")
	}
	if c.Bootstrap {
		if err := store.ValidatePassword(c.AdminPassword); err != nil {
			return fmt.Errorf("AdminPassword: %w", err)
		}
	}
	return nil
}

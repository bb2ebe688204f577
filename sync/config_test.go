package sync

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	valid := DefaultConfig()
	valid.NodeID, valid.DataDir, valid.ClusterAddr = "n1", "/var/lib/baoxue", "10.0.0.1:7000"
	if err := valid.Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}

	tests := []struct {
		field  string
		change func(*Config)
	}{
		{"NodeID", func(c *Config) { c.NodeID = "" }},
		{"DataDir", func(c *Config) { c.DataDir = "" }},
		{"ClusterAddr", func(c *Config) { c.ClusterAddr = "" }},
		{"ClusterAddr", func(c *Config) { c.ClusterAddr = "10.0.0.1" }},
		{"HeartbeatTimeout", func(c *Config) { c.HeartbeatTimeout = time.Millisecond }},
		{"ElectionTimeout", func(c *Config) { c.ElectionTimeout = c.HeartbeatTimeout - 1 }},
		{"LeaderLeaseTimeout", func(c *Config) { c.LeaderLeaseTimeout = 0 }},
		{"LeaderLeaseTimeout", func(c *Config) { c.LeaderLeaseTimeout = c.HeartbeatTimeout + 1 }},
		{"CommitTimeout", func(c *Config) { c.CommitTimeout = 0 }},
		{"MaxAppendEntries", func(c *Config) { c.MaxAppendEntries = 0 }},
		{"MaxAppendEntries", func(c *Config) { c.MaxAppendEntries = 1025 }},
		{"SnapshotInterval", func(c *Config) { c.SnapshotInterval = 0 }},
		{"SnapshotThreshold", func(c *Config) { c.SnapshotThreshold = 0 }},
		{"ApplyTimeout", func(c *Config) { c.ApplyTimeout = 0 }},
		{"CommitLinger", func(c *Config) { c.CommitLinger = 0 }},
		{"CommitLinger", func(c *Config) { c.CommitLinger = 11 * time.Second }},
	}
	for _, tt := range tests {
		c := valid
		tt.change(&c)
		err := c.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tt.field+" ") {
			t.Errorf("%+v: Validate = %v, want an error naming %s first", c, err, tt.field)
		}
	}
}

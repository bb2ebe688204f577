package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baoxue/node"
)

// serveFlags is serve's flag set as far as the config file is concerned.
func serveFlags(cfg *node.Config) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.DataDir, "data", "", "")
	fs.StringVar(&cfg.HTTPAddr, "http", "", "")
	fs.BoolVar(&cfg.Bootstrap, "bootstrap", false, "")
	mdnsFlags(fs, &cfg.MDNS, true)
	raftFlags(fs, &cfg.Sync)
	fs.BoolVar(&cfg.Sync.RestoredDemoted, "restored-demoted", false, "")
	fs.String("config", "", "")
	return fs
}

func writeConf(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "baoxue.conf")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigFileSetsFlagsAndCommandLineWins(t *testing.T) {
	conf := writeConf(t, `# a township node
data = /var/lib/baoxue
http = 0.0.0.0:8080

bootstrap = true
mdns = false
mdns-iface = eth0, eth1
raft-heartbeat-timeout = 3s
`)
	var cfg node.Config
	fs := serveFlags(&cfg)
	args := []string{"--config", conf, "--http", "127.0.0.2:9000"}
	if got := configFile(args); got != conf {
		t.Fatalf("configFile(%q) = %q, want %q", args, got, conf)
	}
	if err := loadConfigFile(fs, conf); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/var/lib/baoxue" || cfg.HTTPAddr != "127.0.0.2:9000" || !cfg.Bootstrap || cfg.MDNS.Enabled ||
		strings.Join(cfg.MDNS.Interfaces, ",") != "eth0,eth1" || cfg.Sync.HeartbeatTimeout != 3*time.Second {
		t.Errorf("got data %q http %q bootstrap %v mdns %v %q heartbeat %s; want the file's values, http from the command line",
			cfg.DataDir, cfg.HTTPAddr, cfg.Bootstrap, cfg.MDNS.Enabled, cfg.MDNS.Interfaces, cfg.Sync.HeartbeatTimeout)
	}
}

func TestConfigFileBadLines(t *testing.T) {
	tests := []struct{ text, want string }{
		{"data = /x\nfoo bar\n", ":2: want a setting as name = value"},
		{"data = /x\nhttp-addr = :80\n", `:2: unknown setting "http-addr"`},
		{"config = /etc/other.conf\n", `:1: unknown setting "config"`},
		{"data = /x\n# c\ndata = /y\n", ":3: data is set already on line 1"},
		{"mdns = perhaps\n", `:1: mdns = "perhaps"`},
		{"raft-heartbeat-timeout = 3\n", `:1: raft-heartbeat-timeout = "3"`},
		{" = x\n", ":1: want a setting"},
		// An operator's word for one start of a restored voter, never a setting.
		{"restored-demoted = true\n", ":1: restored-demoted is given on the command line only"},
	}
	for _, tt := range tests {
		var cfg node.Config
		conf := writeConf(t, tt.text)
		err := loadConfigFile(serveFlags(&cfg), conf)
		if err == nil || !strings.Contains(err.Error(), conf+tt.want) {
			t.Errorf("file %q: error %v, want one containing %q", tt.text, err, conf+tt.want)
		}
	}
}

func TestConfigFileChoice(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--config", "/a.conf", "--data", "d"}, "/a.conf"},
		{[]string{"-config=/b.conf"}, "/b.conf"},
		{[]string{"--config="}, ""},
		{[]string{"--data", "d", "--", "--config", "/c.conf"}, defaultIfPresent()},
	}
	for _, tt := range tests {
		if got := configFile(tt.args); got != tt.want {
			t.Errorf("configFile(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

// defaultIfPresent is what serve reads without --config on this machine.
func defaultIfPresent() string {
	if _, err := os.Stat(defaultConfigFile); err == nil {
		return defaultConfigFile
	}
	return ""
}

package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"baoxue/node"
	"baoxue/store/synth"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := node.DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", "", "data directory (required, here or in --config)")
	fs.StringVar(&cfg.NodeID, "node-id", "", "this node's id, unique in the cluster (first start only)")
	fs.StringVar(&cfg.HTTPAddr, "http", "", "address for the web UI and API, e.g. 0.0.0.0:8080 (first start; kept after)")
	fs.StringVar(&cfg.ClusterAddr, "cluster-addr", "", "address other nodes reach this node's cluster port at, e.g. 10.1.2.3:7400 (first start; kept after)")
	fs.StringVar(&cfg.ClusterAdvertise, "cluster-advertise", "", "address other nodes dial for this node's cluster port, if not --cluster-addr (NAT, port forward; first start; kept after)")
	fs.BoolVar(&cfg.Bootstrap, "bootstrap", false, "start a new district register on an empty data directory")
	fs.StringVar(&cfg.JoinToken, "join", "", "join the cluster with this token (from an admin: POST /api/v1/cluster/tokens or the Cluster page), on an empty data directory")
	fs.StringVar(&cfg.Township, "township", "", "township code this node serves, shown in the node list (first start; kept after)")
	// The defaults are the synthetic district's, so that a trial district
	// (deploy/local-district.sh, the multi-node tests) matches the demo's
	// data; a real district gives its own.
	fs.StringVar(&cfg.DistrictCode, "district-code", synth.DefaultDistrictCode, "district code, with --bootstrap")
	fs.StringVar(&cfg.DistrictName, "district-name", synth.DefaultDistrictName, "district name, with --bootstrap")
	fs.StringVar(&cfg.AdminPassword, "admin-password", "", "password of the admin user, with --bootstrap (default: a random one, printed)")
	fs.BoolVar(&cfg.PlainHTTP, "http-plain", false, "serve the web UI over plain HTTP instead of HTTPS (only behind a TLS proxy); when not given, a web port bound to a loopback address only serves plain HTTP, any other HTTPS; --http-plain=false: HTTPS on loopback too")
	fs.StringVar(&cfg.HTTPSCert, "https-cert", "", "PEM certificate (chain) for the web UI, with --https-key; default: one from the district CA for this node's addresses and .local name")
	fs.StringVar(&cfg.HTTPSKey, "https-key", "", "PEM private key of --https-cert")
	fs.BoolVar(&cfg.Sync.RestoredDemoted, "restored-demoted", false, "start a voter restored from a backup although none of its backup's other voters answers: you state that the cluster no longer counts it as a voter (README, \"Backups and upgrades\"); command line only")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	mdnsFlags(fs, &cfg.MDNS, true)
	discoverFlag := fs.Bool("discover", false, "with --join: find the cluster on the LAN (mDNS) instead of using the token's addresses")
	raftFlags(fs, &cfg.Sync)
	fs.StringVar(&cfg.Backup.Dir, "backup-dir", "", "write a backup archive into this directory every day (default: no scheduled backups)")
	fs.IntVar(&cfg.Backup.Keep, "backup-keep", cfg.Backup.Keep, "with --backup-dir: how many of this node's archives to keep")
	fs.IntVar(&cfg.ImportMaxMB, "import-max-mb", 20, "the largest spreadsheet an import takes, in MB")
	fs.StringVar(&cfg.Backup.At, "backup-at", cfg.Backup.At, "with --backup-dir: when, HH:MM in the machine's local time")
	fs.String("config", defaultConfigFile, "`FILE` of settings, one \"name = value\" a line, named like these flags; flags given here override it (the default is read when it exists; \"\" for none)")
	if file := configFile(args); file != "" {
		if err := loadConfigFile(fs, file); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	cfg.PlainLoopback = !flagGiven(fs, "http-plain")
	if cfg.DataDir == "" {
		return fmt.Errorf("serve: --data is required (on the command line or as data = DIR in the --config file)")
	}
	log, flushLog, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	defer flushLog()
	cfg.Logger = log
	if err := startPprof(stderr); err != nil {
		return err
	}
	tuneGC()
	if *discoverFlag {
		if cfg.JoinToken, err = discoverJoin(ctx, cfg.JoinToken, 3*time.Second, stdout); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
	}
	generated := false
	if cfg.Bootstrap && cfg.AdminPassword == "" && !hasRegister(cfg.DataDir) {
		cfg.AdminPassword, generated = randomPassword(), true
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "baoxue node %s serving %s\n", n.ID(), n.URL())
	if generated {
		fmt.Fprintf(stdout, "admin user: admin  password: %s  (shown once; change it)\n", cfg.AdminPassword)
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "shutting down")
	cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return n.Close(cctx)
}

// hasRegister reports whether dir holds a node already.
func hasRegister(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "register.db"))
	return err == nil
}

// randomPassword is 12 characters without look-alikes (0/O, 1/l/I).
func randomPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 12)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// flagGiven reports whether name was set on the command line or in the
// config file.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"baoxue/node"
	"baoxue/node/mdns"
	"baoxue/store"
	"baoxue/store/synth"
)

func demo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "baoxue-demo", "data directory; an existing register is served as it is")
	httpAddr := fs.String("http", "127.0.0.1:8080", "address for the web UI and API (plain HTTP on loopback, else HTTPS)")
	plain := fs.Bool("http-plain", false, "serve plain HTTP on any address, not only on loopback")
	password := fs.String("admin-password", "", "password of admin and the example users (default: a random one, printed)")
	students := fs.Int("students", synth.DefaultStudents, "number of children in the synthetic district")
	seed := fs.Int64("seed", 1, "seed of the synthetic district: the same seed gives the same district")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error")
	var lan mdns.Config // a demo does not announce itself unless asked
	mdnsFlags(fs, &lan, false)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo: unexpected argument %q", fs.Arg(0))
	}
	log, flushLog, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	defer flushLog()
	if err := startPprof(stderr); err != nil {
		return err
	}
	tuneGC()
	fresh := !hasRegister(*dataDir)
	var d *synth.District
	if fresh {
		if d, err = demoDistrict(*seed, *students, password); err != nil {
			return err
		}
	}
	cfg := demoConfig(*dataDir, *httpAddr, *plain, *students, lan, log)
	if fresh {
		cluster, err := freeLocalAddr()
		if err != nil {
			return err
		}
		cfg.NodeID, cfg.ClusterAddr, cfg.Bootstrap, cfg.AdminPassword = "bureau", cluster, true, *password
		cfg.DistrictCode, cfg.DistrictName = d.District.Code, d.District.Name
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		n.Close(cctx)
	}()

	if fresh {
		// A load reads pages all over the register; each would stay
		// mapped, and counted as the demo's memory (README, "Throughput
		// and footprint"), until dropped. 128 MB: the demo district's
		// register (~90 MB) is never dropped while it loads (a page
		// dropped and read again costs a page fault); a large one is.
		stop := n.Store().KeepMappedPagesUnder(128<<20, 100*time.Millisecond)
		err := loadDemo(ctx, n, d, *seed, *password, *dataDir, stdout)
		stop()
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "baoxue demo: open %s\n", n.URL())
	if fresh {
		fmt.Fprintf(stdout, "  log in as admin / %s\n", *password)
		for _, u := range d.Users {
			fmt.Fprintf(stdout, "  or as %-10s (%s, %s, %s) with the same password\n", u.Username, u.DisplayName, u.Role, u.Scope)
		}
		// The synthetic district is no longer needed: give its memory (and
		// the load's garbage) back to the system rather than keep it for as
		// long as the demo serves.
		d = nil
		debug.FreeOSMemory()
		// The load mapped every page of the register in; serving reads few.
		if err := n.Store().DropMappedPages(); err != nil {
			fmt.Fprintf(stdout, "  (could not drop the register's mapped pages: %v)\n", err)
		}
	} else {
		fmt.Fprintf(stdout, "  serving the register already in %s (log in with the password printed when it was made)\n", *dataDir)
	}
	fmt.Fprintln(stdout, "press Ctrl-C to stop")
	<-ctx.Done()
	return nil
}

// demoDistrict plans the synthetic district, its cases worked up to today,
// and checks the password (a random one when *password is ""). The
// children's records are made as they are loaded (synth.Plan): at
// 1,000,000 children they took 600 MB held for the whole load.
func demoDistrict(seed int64, students int, password *string) (*synth.District, error) {
	scfg := synth.DefaultConfig()
	scfg.Seed, scfg.Students = seed, students
	// The cases are worked up to today, so that to-do lists hold this
	// week's work (the synthetic school year starts on ReferenceDate).
	if today := time.Now().In(store.ChinaTime).Format(time.DateOnly); today >= synth.ReferenceDate {
		scfg.Today = today
	}
	d, err := synth.Plan(scfg)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if *password == "" {
		*password = randomPassword()
	} else if err := store.ValidatePassword(*password); err != nil {
		return nil, fmt.Errorf("demo: --admin-password: %w", err)
	}
	return d, nil
}

// demoConfig is the demo node's configuration.
func demoConfig(dataDir, httpAddr string, plain bool, students int, lan mdns.Config, log *slog.Logger) node.Config {
	cfg := node.DefaultConfig()
	cfg.DataDir, cfg.HTTPAddr, cfg.Logger = dataDir, httpAddr, log
	cfg.MDNS = lan
	// The demo serves plain HTTP on loopback, so that its address opens in
	// a browser without installing the district CA; on any other address
	// it speaks HTTPS like every node (--http-plain to keep HTTP).
	cfg.PlainHTTP, cfg.PlainLoopback = plain, true
	// A demo is one node on one machine: LAN timeouts, so that it leads
	// within a second or two of starting rather than after a WAN heartbeat
	// timeout.
	cfg.Sync.HeartbeatTimeout, cfg.Sync.ElectionTimeout, cfg.Sync.LeaderLeaseTimeout = time.Second, time.Second, 500*time.Millisecond
	cfg.Sync.CommitTimeout = 50 * time.Millisecond
	// The load is a bulk write: larger batches (synth.Load keeps 4,096
	// commands in flight) take fewer fsyncs per command and fill bbolt's
	// pages, and a large district is not copied into a snapshot every 10,000
	// commands while it loads (each copy of a multi-GB register takes
	// minutes).
	cfg.Sync.MaxAppendEntries = 1024
	cfg.Sync.SnapshotThreshold = max(cfg.Sync.SnapshotThreshold, uint64(students/4))
	return cfg
}

// loadDemo writes the synthetic district d into the new demo node n, saying
// how far it got after each stage.
func loadDemo(ctx context.Context, n *node.Node, d *synth.District, seed int64, password, dataDir string, stdout io.Writer) error {
	start := time.Now()
	fmt.Fprintf(stdout, "building a synthetic district (%d children, seed %d) in %s …\n", d.NumStudents(), seed, dataDir)
	err := synth.Load(ctx, n, n.ID(), d, seed, password, func(stage string, count int) {
		fmt.Fprintf(stdout, "  %-15s %7d  (%.1fs)\n", stage, count, time.Since(start).Seconds())
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "done in %.1fs. The data are synthetic; codes and ID numbers are not real.\n", time.Since(start).Seconds())
	// A school's student-status export in GBK, to try 导入 on (README).
	sample, school := d.SampleExport()
	path := filepath.Join(dataDir, "samples", "学籍导出-示例.csv")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(path, sample, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sample student-status export of school %s to try 导入 (Import): %s\n", school, path)
	// The poverty office's list and an aid list (demo_samples.go).
	paths, err := writeDemoSamples(dataDir, d)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sample poverty list and aid list to try 导入 as the bureau (admin): %s\n\n", strings.Join(paths, " "))
	return nil
}

// freeLocalAddr returns a loopback address with a free port for the demo's
// cluster port: a demo node talks to no other node.
func freeLocalAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

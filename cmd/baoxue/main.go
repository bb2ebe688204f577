// Command baoxue runs a node of the district register (控辍保学).
//
//	baoxue serve [--config FILE] --data DIR --node-id ID --http ADDR --cluster-addr ADDR [--bootstrap ... | --join TOKEN [--township CODE]]
//	baoxue demo  [--data DIR] [--http ADDR] [--admin-password PW] [--students N] [--seed S]
//	baoxue discover [--timeout 3s] [--json]
//	baoxue backup --from URL --out FILE [--user NAME]
//	baoxue restore --in FILE --data DIR
//	baoxue recover --data DIR [--yes]
//	baoxue renew-ca --data DIR
//	baoxue service install|uninstall|start|stop   (Windows)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `baoxue — the district register of school-age children (控辍保学)

Usage:
  baoxue serve [--config FILE] --data DIR [--node-id ID --http ADDR --cluster-addr ADDR [--cluster-advertise ADDR]]
               [--bootstrap --district-code CODE --district-name NAME --admin-password PW]
               [--join TOKEN [--discover] [--township CODE]] [--mdns=false] [--mdns-iface LIST]
  baoxue demo  [--data DIR] [--http ADDR] [--admin-password PW] [--students N] [--seed S]
  baoxue discover [--timeout 3s] [--json]     list the baoxue nodes on this LAN
  baoxue backup --from URL --out FILE [--user NAME]   download a running node's backup (password: BAOXUE_PASSWORD or a prompt)
  baoxue restore --in FILE --data DIR         unpack a backup onto an empty data directory
  baoxue recover --data DIR [--yes]           make a stopped node the only voter (when the other voters are lost)
  baoxue renew-ca --data DIR                  give the cluster CA a new certificate (on the node with ca.key)
  baoxue service install|uninstall|start|stop   Windows: run the node as a service (data in %ProgramData%\baoxue)

Run "baoxue COMMAND -h" for a command's flags.
`

func main() {
	// Started by the Windows service manager: serve under it (service_windows.go).
	if handled, err := runService(); handled {
		if err != nil {
			fmt.Fprintln(os.Stderr, "baoxue:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "baoxue:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "demo":
		return demo(ctx, args[1:], stdout, stderr)
	case "discover":
		return discover(ctx, args[1:], stdout, stderr)
	case "backup":
		return backup(ctx, args[1:], stdout, stderr)
	case "restore":
		return restore(ctx, args[1:], stdout, stderr)
	case "recover":
		return recoverCmd(ctx, args[1:], stdout, stderr)
	case "renew-ca":
		return renewCA(ctx, args[1:], stdout, stderr)
	case "service":
		return service(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// newLogger writes text logs to stderr at the level named, through a
// buffer (logbuf.go), plain records formatted without slog's generic
// machinery (logtext.go); call flush before returning.
func newLogger(w io.Writer, level string) (log *slog.Logger, flush func(), err error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, nil, fmt.Errorf("--log-level: %w", err)
	}
	buf := newLogBuffer(w)
	h := flushAtWarn{&fastText{text: slog.NewTextHandler(buf, &slog.HandlerOptions{Level: l}), buf: buf, plain: true}, buf}
	return slog.New(h), func() { _ = buf.Flush() }, nil
}

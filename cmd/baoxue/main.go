// Command baoxue runs a node of the district register (控辍保学).
//
//	baoxue serve [--config FILE] --data DIR --node-id ID --http ADDR --cluster-addr ADDR [--bootstrap ... | --join TOKEN [--township CODE]]
//	baoxue demo  [--data DIR] [--http ADDR] [--admin-password PW] [--students N] [--seed S]
//	baoxue discover [--timeout 3s] [--json]
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

Run "baoxue COMMAND -h" for a command's flags.
`

func main() {
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
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// newLogger writes text logs to stderr at the level named.
func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"baoxue/node/mdns"
	"baoxue/sync/pki"
)

// discover lists the baoxue nodes that answer on the LAN.
func discover(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("discover", flag.ContinueOnError)
	fs.SetOutput(stderr)
	timeout := fs.Duration("timeout", 3*time.Second, "how long to listen for answers")
	asJSON := fs.Bool("json", false, "print a JSON array, for scripts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("discover: unexpected argument %q", fs.Arg(0))
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	peers, err := mdns.Discover(ctx)
	if err != nil {
		return fmt.Errorf("discover: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(peers)
	}
	if len(peers) == 0 {
		fmt.Fprintf(stdout, "no baoxue node answered within %s\n", *timeout)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	// The name goes last: tabwriter counts a Chinese character as one column.
	fmt.Fprintln(tw, "ROLE\tTOWNSHIP\tURL\tIP URL\tCLUSTER\tNAME")
	for _, p := range peers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Role, dash(p.Township), dash(p.URL), dash(p.IPURL), dash(p.Cluster), p.Name)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// mdnsFlags adds --mdns and --mdns-iface to fs, filling c; on says whether
// advertising is on by default.
func mdnsFlags(fs *flag.FlagSet, c *mdns.Config, on bool) {
	c.Enabled = on
	fs.BoolVar(&c.Enabled, "mdns", on, "advertise this node on the LAN as _baoxue._tcp (mDNS/DNS-SD)")
	fs.Func("mdns-iface", "interfaces to advertise on, comma-separated (default: every LAN interface)", func(v string) error {
		c.Interfaces = nil
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				c.Interfaces = append(c.Interfaces, name)
			}
		}
		return nil
	})
}

// discoverJoin makes token point at the nodes of its cluster that answer on
// the LAN (serve --join TOKEN --discover). The token is still required and
// still checked: discovery is never authentication, only where to knock.
func discoverJoin(ctx context.Context, token string, timeout time.Duration, stdout io.Writer) (string, error) {
	if token == "" {
		return "", errors.New("--discover needs --join TOKEN: discovery finds the cluster, the token admits this node (ask an administrator for one)")
	}
	id, err := pki.TokenCluster(token)
	if err != nil {
		return "", fmt.Errorf("--join: %w", err)
	}
	fmt.Fprintf(stdout, "looking for cluster %s on the LAN (%s) …\n", id, timeout)
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addrs, err := mdns.DiscoverCluster(dctx, id)
	if errors.Is(err, mdns.ErrNotDiscovered) {
		return "", fmt.Errorf("--discover: no node of cluster %s answered on the LAN within %s: is this machine on the township LAN, and is the token for this district? (or pass --join without --discover to use the token's addresses)", id, timeout)
	}
	if err != nil {
		return "", fmt.Errorf("--discover: %w", err)
	}
	fmt.Fprintf(stdout, "found %s\n", strings.Join(addrs, ", "))
	return pki.TokenWithAddrs(token, addrs)
}

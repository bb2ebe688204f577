package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
)

// startPprof serves Go's profiler when BAOXUE_PPROF names a loopback
// address (for measuring a running node; see sync/DESIGN.md, "Where the
// time goes"). Off by default; any other address is refused, so the
// profiler is never reachable from the network.
func startPprof(stderr io.Writer) error {
	addr := os.Getenv("BAOXUE_PPROF")
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("BAOXUE_PPROF %q: need a loopback address such as 127.0.0.1:6060", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("BAOXUE_PPROF: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	fmt.Fprintf(stderr, "pprof on http://%s/debug/pprof/\n", ln.Addr())
	go http.Serve(ln, mux)
	return nil
}

// tuneGC sets the collector for a node unless GOGC or GOMEMLIMIT says
// otherwise. A node's live heap is small (23 MB serving the 65,000-child
// demo) while every write allocates a few hundred objects, so at Go's
// default (collect when the heap doubles) the collector ran every fraction
// of a second and took 9-20% of each node's CPU under load. Collecting at
// three times the live heap halves that; the soft limit makes it collect
// harder instead when the heap nears 768 MiB (a large district).
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(768 << 20)
	}
}

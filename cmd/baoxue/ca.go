package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"baoxue/sync/pki"
)

// renewCA gives the cluster CA a new certificate for its same key, on the
// node that holds ca.key.
func renewCA(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("renew-ca", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "the data directory of the node holding the CA key (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" || fs.NArg() > 0 {
		return errors.New("renew-ca: --data is required (and nothing else)")
	}
	ca, err := pki.RenewCA(*data)
	if err != nil {
		return fmt.Errorf("renew-ca: %w", err)
	}
	fmt.Fprintf(stdout, "the cluster CA certificate now expires %s.\n", ca.NotAfter.Local().Format("2006-01-02"))
	fmt.Fprintf(stdout, "copy %s to tls/ca.crt in every node's data directory and restart each node; make new join tokens.\n",
		filepath.Join(pki.Dir(*data), "ca.crt"))
	return nil
}

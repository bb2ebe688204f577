//go:build !windows

package main

import (
	"context"
	"errors"
	"io"
)

// runService: only Windows has a service manager to run under.
func runService() (bool, error) { return false, nil }

// service is Windows only; elsewhere the systemd unit runs the node.
func service(context.Context, []string, io.Writer, io.Writer) error {
	return errors.New("service: Windows only; on Linux install the .deb (deploy/), whose systemd unit runs the node")
}

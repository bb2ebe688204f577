package main

// The part of the Windows service (service_windows.go) that is not
// Windows's: where its files are, the command line it is installed with,
// the settings file install writes, and running serve until the service
// manager says stop. It is built everywhere, so that its tests run on
// Linux.

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
)

// serviceFiles are the service's files under dir (%ProgramData%\baoxue):
// its settings, its log and its data directory.
func serviceFiles(dir string) (conf, log, data string) {
	return filepath.Join(dir, "baoxue.conf"), filepath.Join(dir, "baoxue.log"), filepath.Join(dir, "data")
}

// serviceArgs is the command line the service is installed with.
func serviceArgs(dir string) []string {
	conf, _, data := serviceFiles(dir)
	return []string{"serve", "--config", conf, "--data", data}
}

// windowsConf is the baoxue.conf install writes when there is none: the
// same settings as the Debian package's /etc/baoxue/baoxue.conf.
const windowsConf = `# baoxue.conf: settings of the baoxue service, one "name = value" a line,
# named like the flags of "baoxue serve" (baoxue serve -h). On the first
# start the node needs node-id, http, cluster-addr and bootstrap or join.
#node-id = lapu
#http = 0.0.0.0:8080
#cluster-addr = 10.0.3.7:7400
#join = TOKEN
#township = 450206100
#backup-dir = C:\ProgramData\baoxue\backups
`

// prepareServiceDir makes dir with an empty data directory and, unless
// there is one, a baoxue.conf to fill in (an operator's file is kept).
func prepareServiceDir(dir string) error {
	conf, _, data := serviceFiles(dir)
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	_, err := os.Stat(conf)
	if errors.Is(err, os.ErrNotExist) {
		return os.WriteFile(conf, []byte(windowsConf), 0o600)
	}
	return err
}

// runUntilStopped runs the command line args (the service's: serve) with
// its output to out until it ends by itself or stop is closed, when it is
// shut down as SIGTERM shuts it down on Linux; it returns its error.
func runUntilStopped(args []string, out io.Writer, stop <-chan struct{}) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, out, out) }()
	select {
	case err := <-done:
		return err
	case <-stop:
		cancel()
		return <-done
	}
}

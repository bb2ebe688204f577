//go:build windows

package main

// `baoxue service install|uninstall|start|stop` runs the node as a Windows
// service, its data and settings under %ProgramData%\baoxue. Built and
// vetted with GOOS=windows; it has not been run here (no Windows machine).
// What is not Windows's (files, command line, stopping serve) is in
// service.go and tested on Linux.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

const serviceName = "baoxue"

// programData is %ProgramData%\baoxue: baoxue.conf, baoxue.log and data\.
func programData() string {
	d := os.Getenv("ProgramData")
	if d == "" {
		d = `C:\ProgramData`
	}
	return filepath.Join(d, "baoxue")
}

// runService reports whether the service manager started this process and,
// if so, runs serve under it until the service is stopped.
func runService() (bool, error) {
	is, err := svc.IsWindowsService()
	if err != nil || !is {
		return false, err
	}
	_, logFile, _ := serviceFiles(programData())
	logf, err := os.OpenFile(logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return true, err
	}
	defer logf.Close()
	return true, svc.Run(serviceName, &winService{args: os.Args[1:], out: logf})
}

// winService runs `baoxue serve` with the command line the service was
// installed with, stopping it when the service manager asks.
type winService struct {
	args []string
	out  io.Writer
}

func (s *winService) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- runUntilStopped(s.args, s.out, stop) }()
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case err := <-done:
			return false, exitCode(s.out, err) // the recovery actions restart it
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending}
				close(stop)
				return false, exitCode(s.out, <-done)
			}
		}
	}
}

func exitCode(out io.Writer, err error) uint32 {
	if err == nil {
		return 0
	}
	fmt.Fprintln(out, "baoxue:", err)
	return 1
}

// service installs, removes, starts or stops the Windows service.
func service(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: baoxue service install|uninstall|start|stop")
		return errors.New("service: say what to do")
	}
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("service: connect to the service manager (run as administrator): %w", err)
	}
	defer m.Disconnect()
	if args[0] == "install" {
		return installService(m, stdout)
	}
	s, err := m.OpenService(serviceName)
	if err != nil {
		return fmt.Errorf("service: %s is not installed: %w", serviceName, err)
	}
	defer s.Close()
	switch args[0] {
	case "uninstall":
		err = s.Delete()
	case "start":
		err = s.Start()
	case "stop":
		_, err = s.Control(svc.Stop)
	default:
		return fmt.Errorf("service: unknown action %q (install, uninstall, start, stop)", args[0])
	}
	if err != nil {
		return fmt.Errorf("service %s: %w", args[0], err)
	}
	fmt.Fprintf(stdout, "service %s: %s done\n", serviceName, args[0])
	return nil
}

// installService registers the service (automatic start, restarted after
// a failure), creating %ProgramData%\baoxue with a baoxue.conf to fill in.
func installService(m *mgr.Mgr, stdout io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("service install: %w", err)
	}
	dir := programData()
	conf, logFile, _ := serviceFiles(dir)
	if err := prepareServiceDir(dir); err != nil {
		return fmt.Errorf("service install: %w", err)
	}
	if s, err := m.OpenService(serviceName); err == nil {
		s.Close()
		return fmt.Errorf("service install: %s is installed already", serviceName)
	}
	s, err := m.CreateService(serviceName, exe, mgr.Config{DisplayName: "baoxue 保学", StartType: mgr.StartAutomatic,
		Description: "baoxue node: the district register of school-age children (控辍保学)"},
		serviceArgs(dir)...)
	if err != nil {
		return fmt.Errorf("service install: %w", err)
	}
	defer s.Close()
	restart := mgr.RecoveryAction{Type: mgr.ServiceRestart, Delay: 10 * time.Second}
	if err := s.SetRecoveryActions([]mgr.RecoveryAction{restart, restart, restart}, uint32((24 * time.Hour).Seconds())); err != nil {
		return fmt.Errorf("service install: recovery actions: %w", err)
	}
	fmt.Fprintf(stdout, "installed service %s; fill in %s, then: baoxue service start (log: %s)\n",
		serviceName, conf, logFile)
	return nil
}

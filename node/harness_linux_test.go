package node

import "syscall"

// childAttr makes a node process die with the test binary (SIGKILL when its
// parent goes, e.g. on a test timeout), so that no node outlives a run.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }

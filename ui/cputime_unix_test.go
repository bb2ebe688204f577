//go:build unix

package ui

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) this process has used: a
// benchmark's CPU per operation does not count the time it waited for a
// CPU on a shared machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

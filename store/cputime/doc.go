// Package cputime reads the process's CPU time for the benchmarks of
// issue 12 (speed): on a shared 2-core machine the CPU an operation costs
// says more than the wall clock, which also counts the waits for a core.
// A leaf package, so that every package's benchmarks use the one reading.
package cputime

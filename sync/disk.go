package sync

import "fmt"

// checkDisk refuses a write when dir's file system has less than need bytes
// free for this process (ErrDiskFull); need 0 disables the check. Raft
// panics when its log store cannot write, so every path that appends to
// the log (Submit, forwarded batches, cluster commands) asks first.
func checkDisk(dir string, need uint64) error {
	if need == 0 {
		return nil
	}
	free, err := freeBytes(dir)
	if err != nil {
		return fmt.Errorf("stat file system of %s: %w", dir, err)
	}
	if free < need {
		return fmt.Errorf("%w: %d bytes free in %s, need %d", ErrDiskFull, free, dir, need)
	}
	return nil
}

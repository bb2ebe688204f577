package sync

import (
	"fmt"
	"syscall"
)

// freeBytes is the space available to this process on dir's file system.
func freeBytes(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("stat file system of %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

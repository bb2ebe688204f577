//go:build linux || darwin || freebsd

package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// readPassword asks on stderr and reads a line from the terminal without
// echoing it (from stdin as it is when stdin is not a terminal).
func readPassword(prompt string, stderr io.Writer) (string, error) {
	fd := int(os.Stdin.Fd())
	fmt.Fprint(stderr, prompt)
	if old, err := unix.IoctlGetTermios(fd, ioctlGetTermios); err == nil {
		quiet := *old
		quiet.Lflag &^= unix.ECHO
		quiet.Lflag |= unix.ICANON | unix.ISIG
		if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &quiet); err == nil {
			defer unix.IoctlSetTermios(fd, ioctlSetTermios, old)
			defer fmt.Fprintln(stderr)
		}
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

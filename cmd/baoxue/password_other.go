//go:build !(linux || darwin || freebsd)

package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// readPassword asks on stderr and reads a line from stdin. Here the line is
// echoed: set BAOXUE_PASSWORD instead to keep it off the screen.
func readPassword(prompt string, stderr io.Writer) (string, error) {
	fmt.Fprint(stderr, prompt)
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

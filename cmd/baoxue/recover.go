package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"baoxue/node"
)

// recoverCmd makes a stopped node the only voter of its cluster.
func recoverCmd(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("recover", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "the stopped node's data directory (required)")
	yes := fs.Bool("yes", false, "do it without asking")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" || fs.NArg() > 0 {
		return errors.New("recover: --data is required (and nothing else)")
	}
	fmt.Fprint(stderr, recoverWarning)
	if !*yes {
		fmt.Fprint(stderr, "Type RECOVER to go on: ")
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if strings.TrimSpace(line) != "RECOVER" {
			return errors.New("recover: not confirmed; nothing changed")
		}
	}
	rec, err := node.Recover(*data)
	if err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	var before []string
	for _, s := range rec.Before {
		role := "non-voter"
		if s.Voter {
			role = "voter"
		}
		before = append(before, s.ID+" ("+role+")")
	}
	fmt.Fprintf(stdout, "recovered: this node is now the only voter (was: %s). Its log ended at index %d; the cluster continues from %d.\n",
		strings.Join(before, ", "), rec.LastIndex, rec.Index)
	fmt.Fprintf(stdout, "start it with: baoxue serve --data %s, then remove the lost voters on the Nodes page and join new ones\n", filepath.Clean(*data))
	return nil
}

const recoverWarning = `
  !!!  baoxue recover: make this node the ONLY voter of its cluster  !!!

  Use this only when the other voters are lost for good (their disks are gone) and
  the cluster cannot elect a leader. If they can be started again, start them instead.

  What is lost, on every node: writes the lost voters had committed that this node had
  not yet received. Township nodes that had received them keep nothing of them: they
  are sent this node's register. Writes still in township outboxes are sent again.
  Writes this node had in its log but that were never committed are applied now.

  Stop every copy of this node first. Do not start a lost voter again afterwards:
  remove it on the Nodes page and join new voters.

`

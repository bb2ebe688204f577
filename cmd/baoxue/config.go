package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
)

// defaultConfigFile is the file the Debian package installs (deploy/debian);
// serve reads it when it exists and --config is not given.
const defaultConfigFile = "/etc/baoxue/baoxue.conf"

// configFile returns the file serve reads its settings from: --config FILE
// (or --config=FILE) in args, else defaultConfigFile when it exists. "" means
// none (--config "" turns the default off). Nothing after "--" is looked at,
// as flag.Parse would not.
func configFile(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue // a flag's value (serve takes no arguments)
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name != "config" {
			continue
		}
		if hasValue {
			return value
		}
		if i+1 < len(args) {
			return args[i+1]
		}
		return "" // flag.Parse reports the missing value
	}
	if _, err := os.Stat(defaultConfigFile); err == nil {
		return defaultConfigFile
	}
	return ""
}

// loadConfigFile sets the flags of fs from file: one `name = value` a line,
// named like the flags without their dashes (`data = /var/lib/baoxue`,
// `mdns = false`); blank lines and lines starting with # are ignored. Flags on
// the command line are parsed after and so override the file. A line that is
// not a setting, names no flag of fs, repeats one, or has a bad value is an
// error naming the file and line (serve then stops before it starts).
func loadConfigFile(fs *flag.FlagSet, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	defer f.Close()
	type setting struct {
		line        int
		name, value string
	}
	var settings []setting
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch {
		case !ok || name == "":
			return fmt.Errorf("%s:%d: want a setting as name = value, got %q", file, n, line)
		case name == "config" || fs.Lookup(name) == nil:
			return fmt.Errorf("%s:%d: unknown setting %q (the settings are serve's flags: baoxue serve -h)", file, n, name)
		case name == "restored-demoted":
			// An operator's word for one start, not a setting that would
			// silence the check after every later restore.
			return fmt.Errorf("%s:%d: restored-demoted is given on the command line only", file, n)
		case seen[name] != 0:
			return fmt.Errorf("%s:%d: %s is set already on line %d", file, n, name, seen[name])
		}
		seen[name] = n
		settings = append(settings, setting{n, name, value})
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("--config %s: %w", file, err)
	}
	for _, s := range settings {
		if err := fs.Set(s.name, s.value); err != nil {
			return fmt.Errorf("%s:%d: %s = %q: %w", file, s.line, s.name, s.value, err)
		}
	}
	return nil
}

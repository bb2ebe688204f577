package ui

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
)

// The message files, one per language, hold the same keys:
//
//	# a comment; blank lines and comments group the keys by page
//	key = text
//	key = "  text with spaces at either end, or \\n"
//
// The text runs to the end of the line, trimmed; it is read as a Go string
// literal when it starts with a double quote. %s, %d … take arguments
// (fmt), the same ones in both languages.

// keyPattern is what a message key may be made of.
var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$`)

// loadCatalogue reads and checks the message files in fsys: every key in
// both languages, once each, with text and the same format verbs. The
// error lists every problem found, with file and line.
func loadCatalogue(fsys fs.FS) (map[string]message, error) {
	zh, zerr := readMessages(fsys, "messages/zh.txt")
	en, eerr := readMessages(fsys, "messages/en.txt")
	errs := []error{zerr, eerr}
	out := make(map[string]message, len(zh))
	for k, v := range zh {
		w, ok := en[k]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: in zh.txt, not in en.txt", k))
			continue
		}
		if verbs(v) != verbs(w) {
			errs = append(errs, fmt.Errorf("%s: zh and en take different arguments: %q, %q", k, v, w))
		}
		out[k] = message{zh: v, en: w}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			errs = append(errs, fmt.Errorf("%s: in en.txt, not in zh.txt", k))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return out, fmt.Errorf("message catalogue: %w", err)
	}
	return out, nil
}

// readMessages reads one language's file.
func readMessages(fsys fs.FS, name string) (map[string]string, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var errs []error
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, err := parseMessageLine(line)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s:%d: %w", name, n, err))
		case out[k] != "":
			errs = append(errs, fmt.Errorf("%s:%d: %s is there twice", name, n, k))
		default:
			out[k] = v
		}
	}
	return out, errors.Join(append(errs, sc.Err())...)
}

// parseMessageLine reads "key = text".
func parseMessageLine(line string) (key, text string, err error) {
	k, v, ok := strings.Cut(line, "=")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	switch {
	case !ok:
		return "", "", errors.New(`want "key = text"`)
	case !keyPattern.MatchString(k):
		return "", "", fmt.Errorf("bad key %q", k)
	case strings.HasPrefix(v, `"`):
		if v, err = strconv.Unquote(v); err != nil {
			return "", "", fmt.Errorf("%s: text is not a Go string literal: %w", k, err)
		}
	}
	if strings.TrimSpace(v) == "" {
		return "", "", fmt.Errorf("%s has no text", k)
	}
	return k, v, nil
}

// verbs lists the format verbs of s in order ("%s", "%d", "%%").
func verbs(s string) string {
	var out []string
	for i := 0; i < len(s)-1; i++ {
		if s[i] == '%' {
			out = append(out, s[i:i+2])
			i++
		}
	}
	return strings.Join(out, " ")
}

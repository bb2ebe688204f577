package ui

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// TestCatalogueChecked: a catalogue with a key in one language only, a key
// twice, a line that is not "key = text" or arguments that differ is
// refused with every problem named, so New fails rather than show keys.
func TestCatalogueChecked(t *testing.T) {
	fsys := fstest.MapFS{
		"messages/zh.txt": {Data: []byte("# c\na.one = 一\na.two = 二 %s\na.one = 又一\nnot a line\nonly.zh = 中\n")},
		"messages/en.txt": {Data: []byte("a.one = one\na.two = \"two \"\nonly.en = en\nbad.empty =\n")},
	}
	_, err := loadCatalogue(fsys)
	if err == nil {
		t.Fatal("a broken catalogue loaded without error")
	}
	for _, want := range []string{
		"messages/zh.txt:4: a.one is there twice", "messages/zh.txt:5", "only.zh: in zh.txt, not in en.txt",
		"only.en: in en.txt, not in zh.txt", "a.two: zh and en take different arguments", "messages/en.txt:4: bad.empty has no text",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	m, err := loadCatalogue(fstest.MapFS{
		"messages/zh.txt": {Data: []byte("x.a = 人民政府\n")},
		"messages/en.txt": {Data: []byte("x.a = \" people's government\"\n")},
	})
	if err != nil || m["x.a"] != (message{zh: "人民政府", en: " people's government"}) {
		t.Errorf("quoted text: %q, %v", m["x.a"], err)
	}
	if errCatalogue != nil {
		t.Errorf("the embedded catalogue: %v", errCatalogue)
	}
}

// dynamicPrefixes are the families of keys looked up by a name made at run
// time (translateCode, tk, fieldMessage, rejectionMessage, flashes, error
// pages, settings rows). A key of a family counts as used when each part
// after the prefix is a quoted word in the Go sources of ui or store, or
// in the templates: a code word nothing uses any more is caught.
var dynamicPrefixes = []string{"status", "flag", "school", "role", "line", "vkind", "placement", "gender", "kind",
	"reject", "raft", "field", "fielderr", "flash", "reason", "result", "step", "outcome", "casestate", "casekind",
	"level", "vline", "via", "scope", "settings.help", "settings.unit", "error", "todo", "event",
	"absence", "contact", "clear", "factor", "factorhelp", "mismatch", "ledger", "ledgerintro", "pwset", // watch
	"measure", "report.state", "report.timeliness", "report.action", "report.refuse", "report.group", // the monthly report
	"rate", "formula", "term", "termintro", "stage", // rates
	"care", "careintro", "caredetails", "carelog", "carelogkind", "disability", "disgrade", "aid", "contactmode", "poverty", "povertyfield", // the care registers
	"importkind", "importstate", "importclass", "importfail", "importerr"} // imports

// TestCatalogueKeysUsed: every key of the catalogue is used by a template or
// the Go code (no dead text to keep translated).
func TestCatalogueKeysUsed(t *testing.T) {
	var src strings.Builder
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(p)
		src.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, glob := range []string{"*.go", "sheet/*.go", "../store/*.go"} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
		}
	}
	text := src.String()
	// The Raft states come from hashicorp/raft (NodeInfo.RaftState).
	words := map[string]bool{"Leader": true, "Follower": true, "Candidate": true, "Shutdown": true}
	for _, m := range regexp.MustCompile(`"([A-Za-z0-9_.]+)"`).FindAllStringSubmatch(text, -1) {
		words[m[1]] = true
	}
	for k := range messages {
		if strings.Contains(text, `"`+k+`"`) {
			continue
		}
		if !dynamicUse(k, words) {
			t.Errorf("%s is in the catalogue but nothing uses it", k)
		}
	}
}

// dynamicUse reports whether key belongs to a family looked up by a made
// name, with every further part a word the code uses.
func dynamicUse(key string, words map[string]bool) bool {
	for _, p := range dynamicPrefixes {
		rest, ok := strings.CutPrefix(key, p+".")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(rest); err == nil && p == "error" {
			return http.StatusText(n) != ""
		}
		if words[rest] { // a code word with dots: kind.student.create
			return true
		}
		used := true
		for _, part := range strings.Split(rest, ".") {
			used = used && words[part]
		}
		if used {
			return true
		}
	}
	return false
}

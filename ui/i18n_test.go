package ui

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"baoxue/store"
)

// TestCatalogueComplete: every key the templates and the Go code use is in
// the catalogue, in both languages, and every code word has a name.
func TestCatalogueComplete(t *testing.T) {
	for k, m := range messages {
		if strings.TrimSpace(m.zh) == "" || strings.TrimSpace(m.en) == "" {
			t.Errorf("%s: zh %q, en %q", k, m.zh, m.en)
		}
		if strings.Count(m.zh, "%") != strings.Count(m.en, "%") {
			t.Errorf("%s: zh and en take different arguments: %q, %q", k, m.zh, m.en)
		}
	}
	used := map[string]string{} // key → where
	tmplKey := regexp.MustCompile(`\bt "([a-z_.0-9]+)"`)
	err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(p)
		for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = p
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	goKey := regexp.MustCompile(`(?:translate\([a-zA-Z.]+, |setFlash\(c, |base\(c, |newStudentForm\(c, )"([a-z_.0-9]+)"[,)]`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			k := m[1]
			if strings.Contains(m[0], "setFlash") {
				k = "flash." + k
			}
			used[k] = f
		}
	}
	if len(used) < 100 {
		t.Fatalf("found only %d keys in use: the scan is broken", len(used))
	}
	for k, where := range used {
		if !hasMessage(k) {
			t.Errorf("%s uses %q, which is not in the catalogue", where, k)
		}
	}
	codes := map[string][]string{
		"status": store.Statuses, "flag": store.Flags, "school": store.SchoolTypes, "role": store.Roles,
		"line": {store.LineEducation, store.LineGovernment}, "vkind": {store.KindVillage, store.KindCommunity},
		"placement": store.Placements, "gender": {"M", "F"},
		"kind": {store.KindDistrictInit, store.KindTownshipCreate, store.KindVillageCreate, store.KindGroupCreate,
			store.KindSchoolCreate, store.KindUserCreate, store.KindStudentCreate, store.KindStudentUpdate, store.KindStudentStatus,
			store.KindBulkRead},
		"reject": {store.CodeInvalid, store.CodeNotFound, store.CodeDuplicate, store.CodeConflict, store.CodeForbidden, store.CodeState, store.CodeGap},
		"raft":   {"Leader", "Follower", "Candidate", "Shutdown"},
	}
	for prefix, list := range codes {
		for _, c := range list {
			if !hasMessage(prefix + "." + c) {
				t.Errorf("no name for %s %q", prefix, c)
			}
		}
	}
}

func TestDomainWords(t *testing.T) {
	for _, tt := range []struct{ key, zh string }{
		{"status.enrolled", "在校"}, {"status.suspended", "休学"}, {"status.transferred_out", "转出"},
		{"status.dropped_out", "辍学"}, {"status.never_enrolled", "失学（未入学）"}, {"status.home_taught", "送教上门（在家教育）"},
		{"status.graduated", "毕业"}, {"status.deceased", "死亡"}, {"status.emigrated", "移居境外"},
		{"flag.registered_poor", "建档立卡贫困户"}, {"flag.left_behind", "留守儿童"}, {"flag.migrant", "随迁子女"},
		{"flag.disabled", "残疾儿童"}, {"flag.learning_difficulty", "学困生"},
	} {
		if got := translate(langZH, tt.key); got != tt.zh {
			t.Errorf("%s = %q, want %q", tt.key, got, tt.zh)
		}
	}
}

func TestFormatDate(t *testing.T) {
	for _, tt := range []struct{ lang, in, want string }{
		{langZH, "2026-11-28", "2026年11月28日"},
		{langEN, "2026-11-28", "2026-11-28"},
		{langZH, "2026-01-05", "2026年1月5日"},
		{langZH, "", ""},
		{langZH, "soon", "soon"},
	} {
		if got := formatDate(tt.lang, tt.in); got != tt.want {
			t.Errorf("formatDate(%s, %q) = %q, want %q", tt.lang, tt.in, got, tt.want)
		}
	}
	at := time.Date(2026, 11, 28, 1, 5, 0, 0, time.UTC) // 09:05 in China
	if got := formatTime(langZH, at); got != "2026年11月28日 09:05" {
		t.Errorf("formatTime zh = %q", got)
	}
	if got := formatTime(langEN, at); got != "2026-11-28 09:05" {
		t.Errorf("formatTime en = %q", got)
	}
}

func TestMessagesForRefusals(t *testing.T) {
	for _, tt := range []struct {
		lang string
		fe   store.FieldError
		want string
	}{
		{langZH, store.FieldError{Field: "id_number", Code: "check_digit", Message: "ID number check digit is wrong"}, "身份证号校验位不正确，请核对。"},
		{langEN, store.FieldError{Field: "id_number", Code: "check_digit", Message: "ID number check digit is wrong"}, "ID number check digit is wrong"},
		{langZH, store.FieldError{Field: "gender", Code: "mismatch", Message: "x"}, "性别与身份证号不符。"},
		// No catalogue entry: a plain Chinese sentence, never the store's English one.
		{langZH, store.FieldError{Field: "x", Code: "new_code", Message: "something new"}, "此项填写有误"},
	} {
		if got := fieldMessage(tt.lang, &tt.fe); got != tt.want {
			t.Errorf("fieldMessage(%s, %+v) = %q, want %q", tt.lang, tt.fe, got, tt.want)
		}
	}
	r := store.Result{State: store.StateRejected, Code: store.CodeInvalid, Field: "destination", Reason: "a transfer out needs the destination"}
	if got := rejectionMessage(langZH, r); !strings.Contains(got, "去向") {
		t.Errorf("rejection zh %q", got)
	}
	// An invalid field without a message of its own is named in words, and
	// the register's English reason stays out of the Chinese page.
	r = store.Result{State: store.StateRejected, Code: store.CodeInvalid, Field: "status", Reason: "a resumption cannot be dated before its suspension"}
	if got := rejectionMessage(langZH, r); !strings.Contains(got, "学籍状态") || strings.ContainsAny(got, "abcdefghijklmnopqrstuvwxyz") {
		t.Errorf("rejection zh %q: want the field named in Chinese, no English", got)
	}
	r = store.Result{State: store.StateRejected, Code: store.CodeInvalid, Reason: "something else"}
	if got := rejectionMessage(langZH, r); strings.ContainsAny(got, "abcdefghijklmnopqrstuvwxyz") {
		t.Errorf("rejection zh %q: English in a Chinese page", got)
	}
	r = store.Result{State: store.StateRejected, Code: store.CodeForbidden, Reason: "the child is outside the scope of user x"}
	if got := rejectionMessage(langEN, r); got != r.Reason {
		t.Errorf("rejection en %q", got)
	}
	if got := rejectionMessage(langZH, r); !strings.HasPrefix(got, "您没有权限执行此操作") || !strings.Contains(got, "联系") {
		t.Errorf("rejection zh %q", got)
	}
}

package ui

import (
	"embed"
	"fmt"
	"strings"
	"time"

	"baoxue/store"
)

// Languages. Simplified Chinese is the default.
const (
	langZH = "zh"
	langEN = "en"
)

// message is one entry of the catalogue: the same text in each language.
type message struct{ zh, en string }

// messageFS holds THE message catalogue, one file per language
// (messages/zh.txt, messages/en.txt; the format is described at the top of
// each). Every string the UI shows comes from there, looked up by key (t in
// templates, translate in Go). Names of statuses, flags, school types,
// roles, lines, village kinds, placements, command kinds and rejection codes
// are keyed by their code word ("status.enrolled"), so templates write
// {{tk "status" .Status}}. The wording follows docs/domain.md.
//
//go:embed messages/zh.txt messages/en.txt
var messageFS embed.FS

// messages is the catalogue as loaded when the package starts; errCatalogue
// says what is wrong with the files (New returns it). It is read only.
var messages, errCatalogue = loadCatalogue(messageFS)

// translate looks key up in lang and formats it with args. A missing key is
// shown as the key itself, so that it is noticed (a test checks that every
// key the templates use exists).
func translate(lang, key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		if len(args) > 0 {
			return key + fmt.Sprint(args...)
		}
		return key
	}
	s := m.zh
	if lang == langEN {
		s = m.en
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// translateCode translates a code word under prefix ("status", "enrolled"),
// or shows the code itself when the catalogue has no name for it.
func translateCode(lang, prefix, code string) string {
	if code == "" {
		return ""
	}
	if _, ok := messages[prefix+"."+code]; !ok {
		return code
	}
	return translate(lang, prefix+"."+code)
}

func hasMessage(key string) bool {
	_, ok := messages[key]
	return ok
}

// fieldMessage is what a form shows beside a field the register's checks
// refused. English shows the store's own sentence; Chinese uses the most
// specific catalogue entry, else a plain "this entry is wrong" beside the
// field (never the store's English sentence).
func fieldMessage(lang string, fe *store.FieldError) string {
	if lang == langEN && fe.Message != "" {
		return fe.Message
	}
	for _, k := range []string{"fielderr." + fe.Field + "." + fe.Code, "fielderr." + fe.Code} {
		if hasMessage(k) {
			return translate(lang, k)
		}
	}
	return translate(lang, "fielderr.generic")
}

// rejectionMessage is what a form shows for a command the register
// rejected.
func rejectionMessage(lang string, r store.Result) string {
	if k := "reject." + r.Code + "." + r.Field + "." + "existing"; r.ExistingID != "" && hasMessage(k) {
		return translate(lang, k, r.ExistingID) // the record in the way, named
	}
	if k := "reject." + r.Code + "." + r.Field; r.Field != "" && hasMessage(k) {
		return translate(lang, k)
	}
	if lang == langEN && r.Reason != "" {
		return r.Reason
	}
	if k := "field." + r.Field; r.Code == store.CodeInvalid && hasMessage(k) {
		return translate(lang, "reject.invalid_field", translate(lang, k)) // names the field, in words
	}
	return translateCode(lang, "reject", r.Code)
}

// formatDate shows a YYYY-MM-DD date: 2026年11月28日 in Chinese,
// 2026-11-28 in English. Anything else is shown as it is.
func formatDate(lang, d string) string {
	t, err := time.Parse("2006-01-02", d)
	if err != nil || lang == langEN {
		return d
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// formatTime shows a moment in China time, to the minute.
func formatTime(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(store.ChinaTime) // the register's zone, whatever the machine's tz
	if lang == langEN {
		return t.Format("2006-01-02 15:04")
	}
	return fmt.Sprintf("%d年%d月%d日 %s", t.Year(), int(t.Month()), t.Day(), t.Format("15:04"))
}

// scopeText shows a scope with the names of its township or school.
func scopeText(lang string, sc store.Scope, names map[string]string) string {
	name := func(code string) string {
		if n, ok := names[code]; ok {
			return n
		}
		return code
	}
	switch sc.Kind {
	case store.ScopeDistrict:
		return translate(lang, "scope.district")
	case store.ScopeTownship:
		return translate(lang, "scope.township", name(sc.Code))
	case store.ScopeSchool:
		return translate(lang, "scope.school", name(sc.Code))
	case store.ScopeClass:
		return translate(lang, "scope.class", name(sc.Code), sc.Grade, sc.Class)
	}
	return strings.TrimSpace(sc.String())
}

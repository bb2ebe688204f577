package ui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSearchWithinScope: a head teacher finds a child by the end of the ID
// number the list shows, or by the first characters of a name, within the
// class only.
func TestSearchWithinScope(t *testing.T) {
	_, b := classEnv(t)
	idTail := idNumber("20170315", 1)[14:]
	for q, want := range map[string]string{idTail: "韦小明", "韦小": "韦小明", idNumber("20170315", 5)[14:]: ""} {
		doc := parseHTML(t, b.get("/students?q="+url.QueryEscape(q)).want(t, http.StatusOK, "search "+q))
		var got []string
		for _, r := range rowsOf(t, doc, "students") {
			got = append(got, strings.Fields(text(r))[0])
		}
		if strings.Join(got, ",") != want {
			t.Errorf("search %q in the class finds %v, want %q", q, got, want)
		}
	}
}

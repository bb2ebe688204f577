package ui

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestTodoAndCasesPagesArePaged: a register with more cases and to-do items
// than a page holds shows them a page of listPerPage at a time, each page
// under 200 KB, in the order the API lists them (the to-do list by the date
// owed), every one of them once, the count of them all on every page and the
// filters kept from page to page.
func TestTodoAndCasesPagesArePaged(t *testing.T) {
	ce := newCaseEnv(t)
	// The head teacher linked to the teacher's login: the reports name them (mine=1).
	ce.api("POST", "/api/v1/assignments", ce.admin, map[string]string{"level": "class", "unit": schoolA + "/3/2",
		"name": "梁老师", "username": "teacher", "start": "2026-01-02"}).want(t, http.StatusCreated, "link the head teacher")
	const reports = listPerPage + 30
	day := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	for i := range reports { // dates out of order, so the order owed is not the order written
		id := ce.createChild(ce.teacher, child(fmt.Sprintf("韦小%d", i), 100+i))
		ce.api("POST", "/api/v1/students/"+id+"/dropout", ce.teacher, map[string]string{"reason": "work",
			"date": day.AddDate(0, 0, (i*7)%25).Format("2006-01-02")}).want(t, http.StatusCreated, "report")
	}
	b := ce.browser()
	b.login("teacher", "password-1")

	var td todoJSON
	ce.api("GET", "/api/v1/todo?mine=true", ce.teacher, nil).want(t, http.StatusOK, "to-do").json(t, &td)
	var owed []string
	for _, it := range td.Items {
		owed = append(owed, it.Kind+" "+it.CaseID)
	}
	if len(owed) <= listPerPage {
		t.Fatalf("the teacher's list has %d items, want more than a page", len(owed))
	}
	shown := walkPages(t, b, "/todo?mine=1", "todo", "todo-count", fmt.Sprint(len(owed)), "mine=1")
	if strings.Join(shown, "\n") != strings.Join(owed, "\n") {
		t.Errorf("the to-do pages show %d items, not the %d the API lists in the order owed", len(shown), len(owed))
	}

	var cs struct {
		Items []caseSummary `json:"items"`
	}
	ce.api("GET", "/api/v1/cases?school="+schoolA, ce.teacher, nil).want(t, http.StatusOK, "cases").json(t, &cs)
	var ids []string
	for _, c := range cs.Items {
		ids = append(ids, c.ID)
	}
	if len(ids) != reports {
		t.Fatalf("the API lists %d cases, want %d", len(ids), reports)
	}
	shown = walkPages(t, b, "/cases?school="+url.QueryEscape(schoolA), "cases", "case-total", fmt.Sprintf("共 %d 件", reports), "school="+schoolA)
	if strings.Join(shown, "\n") != strings.Join(ids, "\n") {
		t.Errorf("the case pages show %d cases, not the %d the API lists in its order", len(shown), len(ids))
	}
}

// walkPages follows a list's next-page links from first, checking each
// page's size, rows, count and filter, and returns the rows' keys in order:
// a to-do row's kind and case (data-case), a case row's case number.
func walkPages(t *testing.T, b *browser, first, table, countID, count, filter string) []string {
	t.Helper()
	var keys []string
	next, pages := first, 0
	for n := 1; next != ""; n++ {
		pages = n
		r := b.get(next).want(t, http.StatusOK, table+" page")
		if len(r.body) > 200<<10 {
			t.Errorf("%s page %d is %d KB, want < 200", table, n, len(r.body)>>10)
		}
		doc := parseHTML(t, r)
		rows := rowsOf(t, doc, table)
		for _, row := range rows {
			if table == "todo" {
				keys = append(keys, strings.TrimPrefix(strings.Fields(attr(row, "class"))[0], "todo-")+" "+attr(row, "data-case"))
			} else {
				keys = append(keys, text(row.FirstChild))
			}
		}
		if got := text(find(doc, byID(countID))); got != count {
			t.Errorf("%s page %d: count %q, want %q", table, n, got, count)
		}
		next = ""
		if a := find(doc, byID("next-page")); a != nil {
			next = attr(a, "href")
			if len(rows) != listPerPage {
				t.Errorf("%s page %d has %d rows, want %d", table, n, len(rows), listPerPage)
			}
			if !strings.Contains(next, filter) || !strings.Contains(next, fmt.Sprintf("page=%d", n+1)) {
				t.Errorf("%s page %d: the next page %q loses the filter or the page", table, n, next)
			}
		}
		if n > 5 {
			t.Fatalf("the %s pages do not end", table)
		}
	}
	if want := (len(keys) + listPerPage - 1) / listPerPage; pages != want {
		t.Errorf("%d %s rows came in %d pages, want %d of at most %d", len(keys), table, pages, want, listPerPage)
	}
	return keys
}

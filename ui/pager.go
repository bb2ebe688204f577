package ui

import (
	"net/url"
	"strconv"
)

// listPerPage rows a page on the long lists (/assignments, /todo, /cases): a district's
// to-do list and cases run to tens of thousands at 1,000,000 children (664 KB
// and 324 KB pages), so they come a page at a time (page=N) and stay under
// 200 KB (TestTodoAndCasesPagesArePaged, TestAssignmentsPageIsPaged).
const listPerPage = 100

// pager is a list's page: which page of Total rows, at which address, with
// the query's other parameters (the filters) kept from page to page.
type pager struct {
	Path  string
	Q     url.Values
	Page  int // 1, 2, …
	Total int // rows matching the filters, on every page
}

func newPager(path string, q url.Values, total int) pager {
	n, _ := strconv.Atoi(q.Get("page"))
	return pager{Path: path, Q: q, Page: max(n, 1), Total: total}
}

// PageURL is the address of page n with the same filters.
func (p pager) PageURL(n int) string {
	q := url.Values{}
	for k, v := range p.Q {
		if k != "page" {
			q[k] = v
		}
	}
	if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	if len(q) == 0 {
		return p.Path
	}
	return p.Path + "?" + q.Encode()
}

// PrevURL and NextURL are the pages before and after this one.
func (p pager) PrevURL() string { return p.PageURL(p.Page - 1) }
func (p pager) NextURL() string { return p.PageURL(p.Page + 1) }

// Pages is the number of pages of Total rows.
func (p pager) Pages() int { return max(1, (p.Total+listPerPage-1)/listPerPage) }

// pageOf is the page's share of xs (all the rows matching the filters, in
// their order): empty past the last page.
func pageOf[T any](xs []T, p pager) []T {
	from := min((p.Page-1)*listPerPage, len(xs))
	return xs[from:min(from+listPerPage, len(xs))]
}

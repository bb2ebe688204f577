package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"baoxue/store"
)

// rowsOf returns the rows of a table's body.
func rowsOf(t *testing.T, doc *html.Node, tableID string) []*html.Node {
	t.Helper()
	table := find(doc, byID(tableID))
	if table == nil {
		return nil
	}
	body := find(table, func(n *html.Node) bool { return n.Data == "tbody" })
	if body == nil {
		t.Fatalf("table %s has no tbody", tableID)
	}
	return findAll(body, func(n *html.Node) bool { return n.Data == "tr" })
}

// fieldError returns the message shown beside the form field named name,
// "" when there is none.
func fieldError(doc *html.Node, name string) string {
	in := find(doc, func(n *html.Node) bool {
		return (n.Data == "input" || n.Data == "select") && attr(n, "name") == name
	})
	if in == nil {
		return ""
	}
	for p := in.Parent; p != nil; p = p.Parent {
		if strings.Contains(" "+attr(p, "class")+" ", " field ") || p.Data == "label" {
			if e := find(p, func(n *html.Node) bool { return attr(n, "class") == "err" }); e != nil {
				return text(e)
			}
			return ""
		}
	}
	return ""
}

func TestPagesNeedLogin(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	r := b.get("/students?q=x").want(t, http.StatusSeeOther, "students without login")
	if loc := r.header.Get("Location"); loc != "/login?next="+url.QueryEscape("/students?q=x") {
		t.Errorf("redirect to %q", loc)
	}
	b.get("/").want(t, http.StatusSeeOther, "root")
	page := b.get("/login").want(t, http.StatusOK, "login page")
	r = b.post("/login", url.Values{csrfField: {csrfFrom(t, page)}, "username": {"admin"}, "password": {"wrong"}})
	r.want(t, http.StatusUnauthorized, "wrong password form")
	if msg := find(parseHTML(t, r), byID("form-error")); msg == nil || text(msg) != "用户名或密码不正确。" {
		t.Errorf("login failure shows %v", msg)
	}
	r = b.post("/login", url.Values{csrfField: {csrfFrom(t, page)}, "username": {"admin"}, "password": {adminPassword},
		"next": {"//evil.example/"}}).want(t, http.StatusSeeOther, "login")
	if loc := r.header.Get("Location"); loc != "/students" {
		t.Errorf("login sends to %q, want /students (no open redirect)", loc)
	}
	for _, c := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, sessionCookie+"=") && (!strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax")) {
			t.Errorf("session cookie %q lacks HttpOnly or SameSite=Lax", c)
		}
	}
	b.get("/students").want(t, http.StatusOK, "students after login")

	// Logout ends the session.
	page = b.get("/students")
	b.post("/logout", url.Values{csrfField: {csrfFrom(t, page)}}).want(t, http.StatusSeeOther, "logout")
	b.get("/students").want(t, http.StatusSeeOther, "students after logout")
}

func TestStudentListPage(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	var ids []string
	for i := 0; i < 3; i++ {
		body := child("学生"+strconv.Itoa(i), 201+2*i)
		ids = append(ids, body["id_number"].(string))
		e.createChild(tok, body)
	}
	b := e.browser()
	b.login("officer", "password-1")
	r := b.get("/students").want(t, http.StatusOK, "list")
	doc := parseHTML(t, r)

	form := find(doc, byID("filters"))
	if form == nil {
		t.Fatal("no filter form")
	}
	for _, name := range []string{"township", "village", "school", "grade", "status", "flag"} {
		sel := find(form, func(n *html.Node) bool { return n.Data == "select" && attr(n, "name") == name })
		if sel == nil {
			t.Errorf("filter %s is not a select", name)
			continue
		}
		if opts := findAll(sel, func(n *html.Node) bool { return n.Data == "option" }); len(opts) < 2 {
			t.Errorf("filter %s has %d options", name, len(opts))
		}
	}
	if find(form, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "q" }) == nil {
		t.Error("no q text field")
	}
	if rows := rowsOf(t, doc, "students"); len(rows) != 3 {
		t.Errorf("%d rows, want 3", len(rows))
	}
	if total := find(doc, byID("total")); total == nil || text(total) != "共 3 人" {
		t.Errorf("total shows %q", text(total))
	}
	for _, id := range ids {
		if strings.Contains(string(r.body), id) {
			t.Errorf("list shows a full ID number")
		}
		if !strings.Contains(string(r.body), store.MaskID(id)) {
			t.Errorf("list lacks masked ID %s", store.MaskID(id))
		}
	}
	if got := text(find(doc, byID("node-id"))); got != "node-a" {
		t.Errorf("header node id %q", got)
	}
	if got := text(find(doc, byID("node-applied"))); got != strconv.FormatUint(e.db.AppliedIndex(), 10) {
		t.Errorf("header applied index %q, want %d", got, e.db.AppliedIndex())
	}
	if got := text(find(doc, byID("node-state"))); got != "主节点" {
		t.Errorf("header raft state %q", got)
	}

	// Filters and paging.
	doc = parseHTML(t, b.get("/students?school="+schoolB).want(t, http.StatusOK, "school B"))
	if rows := rowsOf(t, doc, "students"); len(rows) != 0 || text(find(doc, byID("total"))) != "共 0 人" {
		t.Errorf("school B filter: %d rows, %q", len(rows), text(find(doc, byID("total"))))
	}
	doc = parseHTML(t, b.get("/students?limit=2&status=enrolled").want(t, http.StatusOK, "page 1"))
	next := find(doc, byID("next-page"))
	if len(rowsOf(t, doc, "students")) != 2 || next == nil {
		t.Fatalf("page 1 of 2: %d rows, next link %v", len(rowsOf(t, doc, "students")), next)
	}
	doc = parseHTML(t, b.get(attr(next, "href")).want(t, http.StatusOK, "page 2"))
	if rows := rowsOf(t, doc, "students"); len(rows) != 1 || find(doc, byID("next-page")) != nil {
		t.Errorf("page 2: %d rows", len(rows))
	}
	r = b.get("/students?grade=x").want(t, http.StatusBadRequest, "bad grade")
	if msg := fieldError(parseHTML(t, r), "grade"); msg == "" {
		t.Error("bad grade shows no message beside the field")
	}
}

func TestHTMLInjectionEscaped(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	evil := "<script>alert(1)</script>"
	body := child(evil, 301)
	body["household"] = `"><img src=x onerror=alert(2)>`
	id := e.createChild(tok, body)
	b := e.browser()
	b.login("officer", "password-1")
	for _, path := range []string{"/students", "/students/" + id, "/students/" + id + "/edit", "/students/" + id + "/status"} {
		r := b.get(path).want(t, http.StatusOK, path)
		s := string(r.body)
		if strings.Contains(s, evil) || strings.Contains(s, "<img src=x") {
			t.Errorf("%s renders the markup unescaped", path)
		}
		if !strings.Contains(s, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the escaped name", path)
		}
		if scripts := findAll(parseHTML(t, r), func(n *html.Node) bool { return n.Data == "script" }); len(scripts) != 0 {
			t.Errorf("%s has %d script elements", path, len(scripts))
		}
	}
}

func TestLanguageSwitch(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login("admin", adminPassword)
	lang := func(r response) (string, string) {
		doc := parseHTML(t, r)
		h := find(doc, func(n *html.Node) bool { return n.Data == "html" })
		return attr(h, "lang"), text(find(doc, func(n *html.Node) bool { return n.Data == "h1" }))
	}
	if l, h1 := lang(b.get("/students")); l != "zh-CN" || h1 != "学生名册" {
		t.Errorf("default: lang %q, h1 %q", l, h1)
	}
	r := b.get("/students?lang=en")
	if l, h1 := lang(r); l != "en" || h1 != "Students" {
		t.Errorf("?lang=en: lang %q, h1 %q", l, h1)
	}
	if sw := find(parseHTML(t, r), byID("lang-switch")); sw == nil || !strings.Contains(attr(sw, "href"), "lang=zh") {
		t.Errorf("switch back link: %v", sw)
	}
	if l, _ := lang(b.get("/students")); l != "en" {
		t.Errorf("the choice is not remembered: lang %q", l)
	}
	if l, _ := lang(b.get("/students?lang=zh")); l != "zh-CN" {
		t.Errorf("?lang=zh: lang %q", l)
	}
}

func TestFormsNeedCSRFToken(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	b := e.browser()
	b.login("officer", "password-1")
	page := b.get("/students/new").want(t, http.StatusOK, "new form")
	form := url.Values{}
	for k, v := range child("无令牌", 401) {
		switch v := v.(type) {
		case string:
			form.Set(k, v)
		case int:
			form.Set(k, strconv.Itoa(v))
		}
	}
	applied := e.db.AppliedIndex()
	b.post("/students/new", form).want(t, http.StatusForbidden, "no token")
	form.Set(csrfField, "forged-token")
	b.post("/students/new", form).want(t, http.StatusForbidden, "forged token")
	if got := e.db.AppliedIndex(); got != applied {
		t.Fatalf("applied index moved from %d to %d without a CSRF token", applied, got)
	}
	// The API does not take the session cookie, so it cannot be used to
	// get around CSRF either.
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/students", nil)
	b.e.send(b.c, req).want(t, http.StatusUnauthorized, "API with the session cookie")

	form.Set(csrfField, csrfFrom(t, page))
	b.post("/students/new", form).want(t, http.StatusSeeOther, "with token")
}

// postForm submits a page's form by id with changes to its fields.
func (b *browser) postForm(page response, formID string, set url.Values) response {
	b.e.t.Helper()
	doc := parseHTML(b.e.t, page)
	form := find(doc, byID(formID))
	if form == nil {
		b.e.t.Fatalf("no form %s", formID)
	}
	v := url.Values{}
	for _, in := range findAll(form, func(n *html.Node) bool { return n.Data == "input" || n.Data == "select" }) {
		name := attr(in, "name")
		switch {
		case name == "":
		case in.Data == "select":
			if opt := find(in, func(n *html.Node) bool { return n.Data == "option" && hasAttr(n, "selected") }); opt != nil {
				v.Add(name, attr(opt, "value"))
			}
		case attr(in, "type") == "checkbox":
			if hasAttr(in, "checked") {
				v.Add(name, attr(in, "value"))
			}
		default:
			v.Add(name, attr(in, "value"))
		}
	}
	for k, vals := range set {
		v[k] = vals
	}
	return b.post(attr(form, "action"), v)
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func TestStudentFormFlow(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	b := e.browser()
	b.login("officer", "password-1")
	page := b.get("/students/new").want(t, http.StatusOK, "new form")
	good := idNumber("20160901", 501)
	fields := url.Values{"name": {"梁小峰"}, "gender": {"M"}, "id_number": {wrongCheckDigit(good)}, "ethnicity": {"壮族"},
		"village_code": {villA}, "group_code": {groupA1}, "school_code": {schoolA}, "grade": {"4"}, "class": {"1"},
		"status": {"enrolled"}, "flags": {"registered_poor", "left_behind"}, "poverty_household_id": {"P-001"},
		"guardian_name_0": {"梁父"}, "guardian_relation_0": {"父亲"}, "guardian_phone_0": {"13811112222"}}

	r := b.postForm(page, "student-form", fields).want(t, http.StatusBadRequest, "wrong check digit")
	doc := parseHTML(t, r)
	if msg := fieldError(doc, "id_number"); msg != "身份证号校验位不正确，请核对。" {
		t.Errorf("message beside id_number: %q", msg)
	}
	if name := find(doc, func(n *html.Node) bool { return attr(n, "name") == "name" }); attr(name, "value") != "梁小峰" {
		t.Error("the form is not re-filled")
	}
	if e.total(tok) != 0 {
		t.Fatal("a refused form wrote a child")
	}

	fields.Set("id_number", good)
	r = b.postForm(r, "student-form", fields).want(t, http.StatusSeeOther, "create")
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "/students/S") {
		t.Fatalf("created: redirect to %q", loc)
	}
	// The same form sent twice (double click, back and send again)
	// registers one child: page carries the command id that was applied.
	again := b.postForm(page, "student-form", fields).want(t, http.StatusSeeOther, "the same form again")
	if n := e.total(tok); n != 1 || again.header.Get("Location") != loc {
		t.Errorf("after sending the form twice: total %d, redirect to %q (want 1, %q)", n, again.header.Get("Location"), loc)
	}
	detail := b.get(loc).want(t, http.StatusOK, "detail")
	doc = parseHTML(t, detail)
	if f := find(doc, func(n *html.Node) bool { return attr(n, "class") == "flash" }); f == nil || text(f) != "学生已登记。" {
		t.Errorf("flash: %v", f)
	}
	if got := text(find(doc, byID("id-number"))); got != good {
		t.Errorf("officer sees ID %q, want the full number", got)
	}
	if rows := rowsOf(t, doc, "audit"); len(rows) != 1 {
		t.Errorf("audit rows %d, want 1", len(rows))
	}
	if !strings.Contains(string(detail.body), "建档立卡贫困户") || !strings.Contains(string(detail.body), "2016年9月1日") {
		t.Error("detail lacks the flag name or the birth date in Chinese")
	}
	// Flash is shown once.
	if f := find(parseHTML(t, b.get(loc)), func(n *html.Node) bool { return attr(n, "class") == "flash" }); f != nil {
		t.Error("flash shown twice")
	}

	// A second child with the same ID number: refused with a link to the first.
	page = b.get("/students/new")
	r = b.postForm(page, "student-form", fields).want(t, http.StatusConflict, "duplicate child")
	doc = parseHTML(t, r)
	if msg := fieldError(doc, "id_number"); msg != "该身份证号已登记。" {
		t.Errorf("duplicate message %q", msg)
	}
	link := find(find(doc, byID("form-error")), func(n *html.Node) bool { return n.Data == "a" })
	if link == nil || attr(link, "href") != loc {
		t.Errorf("duplicate links to %v, want %s", link, loc)
	}
}

func TestEditConflict(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	id := e.createChild(tok, child("罗小妹", 602))
	b := e.browser()
	b.login("officer", "password-1")
	edit := b.get("/students/"+id+"/edit").want(t, http.StatusOK, "edit form")
	e.api("PATCH", "/api/v1/students/"+id, tok, map[string]any{"version": 1, "household": "5组"}).want(t, http.StatusOK, "someone else edits")

	r := b.postForm(edit, "student-form", url.Values{"name": {"罗小梅"}}).want(t, http.StatusConflict, "stale edit")
	doc := parseHTML(t, r)
	msg := find(doc, byID("form-error"))
	if msg == nil || !strings.Contains(text(msg), "已被他人修改") {
		t.Fatalf("conflict message: %v", msg)
	}
	if a := find(msg, func(n *html.Node) bool { return n.Data == "a" }); a == nil || attr(a, "href") != "/students/"+id+"/edit" {
		t.Errorf("no reload link in %q", text(msg))
	}
	var s store.Student
	e.api("GET", "/api/v1/students/"+id, tok, nil).json(t, &s)
	if s.Name != "罗小妹" || s.Version != 2 || s.Household != "5组" {
		t.Errorf("record after the stale edit: %+v", s)
	}

	// Reloaded, the edit goes through.
	edit = b.get("/students/" + id + "/edit")
	b.postForm(edit, "student-form", url.Values{"name": {"罗小梅"}}).want(t, http.StatusSeeOther, "fresh edit")
	e.api("GET", "/api/v1/students/"+id, tok, nil).json(t, &s)
	if s.Name != "罗小梅" || s.Version != 3 || s.Household != "5组" || s.Status != "enrolled" {
		t.Errorf("record after the edit: %+v", s)
	}
}

func TestStatusForm(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	id := e.createChild(tok, child("陆小东", 703))
	b := e.browser()
	b.login("officer", "password-1")
	page := b.get("/students/"+id+"/status").want(t, http.StatusOK, "status form")
	r := b.postForm(page, "status-form", url.Values{"status": {"transferred_out"}, "date": {"2026-08-28"}})
	r.want(t, http.StatusBadRequest, "transfer out without destination")
	if msg := fieldError(parseHTML(t, r), "destination"); !strings.Contains(msg, "去向") {
		t.Errorf("message beside destination: %q", msg)
	}
	r = b.postForm(r, "status-form", url.Values{"status": {"transferred_out"}, "date": {"2026-08-28"}, "destination": {"南宁市第三中学"}})
	r.want(t, http.StatusSeeOther, "transfer out")
	doc := parseHTML(t, b.get("/students/"+id))
	rows := rowsOf(t, doc, "history")
	if len(rows) != 1 || !strings.Contains(text(rows[0]), "转出") || !strings.Contains(text(rows[0]), "2026年8月28日") {
		t.Errorf("history rows: %d", len(rows))
	}
}

func TestPagesByRole(t *testing.T) {
	e := newEnv(t)
	e.setupOrg()
	tok := e.login("officer", "password-1")
	id := e.createChild(tok, child("页面", 801))

	admin := e.browser()
	admin.login("admin", adminPassword)
	for _, p := range []string{"/org", "/users", "/students/" + id, "/students/" + id + "/edit", "/students/" + id + "/status", "/students/new", "/students?lang=en", "/org?lang=en", "/users?lang=en"} {
		admin.get(p).want(t, http.StatusOK, "admin "+p)
	}
	doc := parseHTML(t, admin.get("/org"))
	if n := len(rowsOf(t, doc, "schools")); n != 2 {
		t.Errorf("org page lists %d schools", n)
	}
	doc = parseHTML(t, admin.get("/users"))
	if n := len(rowsOf(t, doc, "users")); n != 4 {
		t.Errorf("users page lists %d users", n)
	}
	r := admin.postForm(admin.get("/org"), "form-township", url.Values{"code": {"T9"}, "name": {""}}).want(t, http.StatusBadRequest, "township without name")
	if msg := fieldError(parseHTML(t, r), "name"); msg != "name is required" { // the admin chose English above
		t.Errorf("message beside the township's name: %q", msg)
	}
	admin.postForm(r, "form-township", url.Values{"code": {"T9"}, "name": {"新镇"}}).want(t, http.StatusSeeOther, "township")
	r = admin.postForm(admin.get("/users"), "user-form", url.Values{"username": {"u9"}, "password": {"short"}, "scope": {"district"}})
	r.want(t, http.StatusBadRequest, "short password")
	if msg := fieldError(parseHTML(t, r), "password"); msg != "password must have at least 10 characters" {
		t.Errorf("password message %q", msg)
	}

	viewer := e.browser()
	viewer.login("viewer", "password-1")
	for _, p := range []string{"/org", "/users", "/students/new", "/students/" + id + "/edit", "/students/" + id + "/status"} {
		viewer.get(p).want(t, http.StatusForbidden, "viewer "+p)
	}
	doc = parseHTML(t, viewer.get("/students/"+id).want(t, http.StatusOK, "viewer detail"))
	if got := text(find(doc, byID("id-number"))); !strings.Contains(got, "********") {
		t.Errorf("viewer sees ID %q", got)
	}
	if find(doc, byID("edit-link")) != nil || find(doc, byID("status-link")) != nil {
		t.Error("viewer is offered edit buttons")
	}

	teacher := e.browser()
	teacher.login("teacher", "password-1")
	b := child("别校", 803)
	b["village_code"], b["group_code"], b["school_code"], b["grade"] = villB, "", schoolB, 7
	b["id_number"] = idNumber("20130315", 803) // of the age of grade 7
	other := e.createChild(tok, b)
	r = teacher.get("/students/"+other).want(t, http.StatusNotFound, "teacher, other school")
	if msg := find(parseHTML(t, r), byID("error-message")); msg == nil || !strings.Contains(text(msg), "找不到") {
		t.Errorf("404 page: %v", msg)
	}
}

func TestStaticAssets(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	doc := parseHTML(t, b.get("/login"))
	link := find(doc, func(n *html.Node) bool { return n.Data == "link" && attr(n, "rel") == "stylesheet" })
	href := attr(link, "href")
	if !strings.HasPrefix(href, "/static/style.") || !strings.HasSuffix(href, ".css") {
		t.Fatalf("stylesheet at %q", href)
	}
	r := b.get(href).want(t, http.StatusOK, "css")
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("content type %q", ct)
	}
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("cache control %q", cc)
	}
	b.get("/static/style.css").want(t, http.StatusNotFound, "unhashed name")
	if strings.Contains(string(b.get("/login").body), "http://") || strings.Contains(string(b.get("/login").body), "https://") {
		t.Error("the page refers to an external address")
	}
}

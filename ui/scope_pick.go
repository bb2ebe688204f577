package ui

import (
	"net/url"
	"strconv"
	"strings"

	"baoxue/store"
)

// The user form picks a scope from the org tree (kind, township, school,
// grade, class) rather than asking for the written form the API takes
// (district, township:CODE, school:CODE, class:SCHOOL/GRADE/CLASS).

// scopePick is a scope as the form's drop-downs show it.
type scopePick struct {
	Kind, Township, School string
	Grade, Class           int
}

// Pick is what the form's drop-downs show: what was picked, or the
// written scope.
func (r userRequest) Pick() scopePick {
	if r.pick.Kind != "" {
		return r.pick
	}
	return pickOf(r.Scope)
}

// pickOf shows a written scope, or as much of one as there is, in the
// drop-downs.
func pickOf(written string) scopePick {
	if sc, err := store.ParseScope(written); err == nil {
		p := scopePick{Kind: sc.Kind, Grade: sc.Grade, Class: sc.Class}
		if sc.Kind == store.ScopeTownship {
			p.Township = sc.Code
		} else {
			p.School = sc.Code
		}
		return p
	}
	kind, _, _ := strings.Cut(written, ":")
	return scopePick{Kind: kind}
}

// bindForm writes the scope the form's drop-downs pick (formBinder). A
// form without them (one that posts scope itself) is left as it is.
func (r *userRequest) bindForm(form url.Values) error {
	kind := strings.TrimSpace(form.Get("scope_kind"))
	if kind == "" {
		return nil
	}
	town, school := strings.TrimSpace(form.Get("scope_township")), strings.TrimSpace(form.Get("scope_school"))
	grade, _ := strconv.Atoi(strings.TrimSpace(form.Get("scope_grade")))
	class, _ := strconv.Atoi(strings.TrimSpace(form.Get("scope_class")))
	r.pick = scopePick{Kind: kind, Township: town, School: school, Grade: grade, Class: class}
	missing := func(code, msg string) error {
		r.Scope = kind + ":"
		return &store.FieldError{Field: "scope", Code: code, Message: msg}
	}
	switch kind {
	case store.ScopeDistrict:
		r.Scope = store.ScopeDistrict
	case store.ScopeTownship:
		if town == "" {
			return missing("township", "choose the township")
		}
		r.Scope = kind + ":" + town
	case store.ScopeSchool:
		if school == "" {
			return missing("school", "choose the school")
		}
		r.Scope = kind + ":" + school
	case store.ScopeClass:
		if school == "" || grade < 1 || grade > 9 || class < 1 || class > 99 {
			return missing("class", "choose the school and grade and enter the class number (1-99)")
		}
		r.Scope = kind + ":" + school + "/" + strconv.Itoa(grade) + "/" + strconv.Itoa(class)
	default:
		return missing("format", "choose the kind of scope")
	}
	return nil
}

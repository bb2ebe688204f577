package store

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

func hashOf(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// TestClusterJoinOnce: a token admits one node, in log order; used,
// expired, unknown and wrong-secret tokens are refused with their own
// codes; the first node registers without a token only on an empty
// registry; cluster.join needs no user, cluster.token an administrator.
func TestClusterJoinOnce(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	boot := ClusterJoin{NodeID: "bureau", Address: "10.0.0.5:7400", Bootstrap: true, CA: true}
	a.must(cmd(t, "", KindClusterJoin, boot))
	if r := a.apply(cmd(t, "", KindClusterJoin, ClusterJoin{NodeID: "rogue", Address: "10.9.9.9:7400", Bootstrap: true})); r.Code != CodeState {
		t.Errorf("second bootstrap registration: %+v, want rejected (state)", r)
	}

	at := func() time.Time { return t0.Add(time.Duration(db.AppliedIndex()+1) * time.Second) }
	tok := ClusterToken{ID: "tok1", SecretHash: hashOf("s1"), Voter: true, ExpiresAt: at().Add(time.Hour)}
	if r := a.apply(cmd(t, "t1", KindClusterToken, tok)); r.Code != CodeForbidden {
		t.Errorf("token by a township officer: %+v, want forbidden", r)
	}
	a.must(cmd(t, "admin", KindClusterToken, tok))
	short := ClusterToken{ID: "tok2", SecretHash: hashOf("s2"), ExpiresAt: at().Add(2 * time.Second)}
	a.must(cmd(t, "admin", KindClusterToken, short))

	join := func(token, secret, node, township string) Result {
		return a.apply(cmd(t, "", KindClusterJoin, ClusterJoin{TokenID: token, SecretHash: hashOf(secret), NodeID: node,
			Address: node + ":7400", Township: township}))
	}
	for _, c := range []struct {
		name, token, secret, node, township string
		code, field, reason                 string
	}{
		{"unknown token", "nope", "s1", "n2", "", CodeNotFound, "token", "unknown join token"},
		{"wrong secret", "tok1", "s9", "n2", "", CodeForbidden, "token", "wrong join token secret"},
		{"unknown township", "tok1", "s1", "n2", "T9", CodeNotFound, "township", "no township"},
		{"node id taken", "tok1", "s1", "bureau", "", CodeDuplicate, "node_id", "in the cluster already"},
		{"bad node id", "tok1", "s1", "a b", "", CodeInvalid, "node_id", "node id"},
		{"joins", "tok1", "s1", "n2", "T1", "", "", ""},
		{"used", "tok1", "s1", "n3", "", CodeTokenUsed, "token", "already used by node n2"},
		{"expired", "tok2", "s2", "n3", "", CodeTokenExpired, "token", "expired at"},
	} {
		r := join(c.token, c.secret, c.node, c.township)
		if c.code == "" {
			if !r.Applied() {
				t.Errorf("%s: %+v, want applied", c.name, r)
			}
			continue
		}
		if r.Applied() || r.Code != c.code || r.Field != c.field || !strings.Contains(r.Reason, c.reason) {
			t.Errorf("%s: %+v, want rejected %s/%s %q", c.name, r, c.code, c.field, c.reason)
		}
	}
	// Refused joins are answered but leave no result behind: anyone who
	// reaches a node could otherwise grow every register without a login.
	refused := cmd(t, "", KindClusterJoin, ClusterJoin{TokenID: "nope", SecretHash: hashOf("x"), NodeID: "n9", Address: "n9:7400"})
	if r := a.apply(refused); r.Applied() || r.Code != CodeNotFound {
		t.Errorf("join with an unknown token: %+v, want rejected", r)
	}
	if _, kept, err := db.Result(refused.ID); kept || err != nil {
		t.Errorf("the refused join's result is kept in the register (%v, %v)", kept, err)
	}
	n, err := db.ClusterNode("n2")
	if err != nil || !n.Voter || n.Township != "T1" || n.TokenID != "tok1" || n.CA || n.Address != "n2:7400" {
		t.Errorf("n2 = %+v, %v", n, err)
	}
	tk, err := db.ClusterToken("tok1")
	if err != nil || tk.UsedBy != "n2" || tk.UsedAt.IsZero() || tk.SecretHash != hashOf("s1") {
		t.Errorf("tok1 = %+v, %v", tk, err)
	}
	if !strings.Contains(dump(t, db, true), "cluster_nodes") {
		t.Error("the registry is not in the register's dump (replica comparison)")
	}
}

// TestClusterMember: promote, demote, remove; never the last voter or the
// CA node; administrators only.
func TestClusterMember(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	a.must(cmd(t, "", KindClusterJoin, ClusterJoin{NodeID: "bureau", Address: "b:1", Bootstrap: true, CA: true}))
	a.must(cmd(t, "admin", KindClusterToken, ClusterToken{ID: "k", SecretHash: hashOf("s"), ExpiresAt: t0.Add(time.Hour * 24)}))
	a.must(cmd(t, "", KindClusterJoin, ClusterJoin{TokenID: "k", SecretHash: hashOf("s"), NodeID: "lapu", Address: "l:1"}))

	member := func(user, node, action string) Result {
		return a.apply(cmd(t, user, KindClusterMember, ClusterMember{NodeID: node, Action: action}))
	}
	for _, c := range []struct {
		user, node, action string
		code, reason       string
	}{
		{"t1", "lapu", MemberPromote, CodeForbidden, ""},
		{"admin", "bureau", MemberDemote, CodeState, "last voter"},
		{"admin", "lapu", MemberDemote, CodeState, "not a voter"},
		{"admin", "lapu", MemberPromote, "", ""},
		{"admin", "lapu", MemberPromote, CodeState, "voter already"},
		{"admin", "bureau", MemberRemove, CodeState, "CA key"},
		{"admin", "bureau", MemberDemote, "", ""},
		{"admin", "lapu", MemberRemove, CodeState, "last voter"},
		{"admin", "bureau", MemberPromote, "", ""},
		{"admin", "lapu", MemberRemove, "", ""},
		{"admin", "lapu", MemberPromote, CodeNotFound, "no node"},
		{"admin", "nosuch", MemberDemote, CodeNotFound, "no node"},
		{"admin", "bureau", "explode", CodeInvalid, "action"},
	} {
		r := member(c.user, c.node, c.action)
		if c.code == "" && !r.Applied() || c.code != "" && (r.Code != c.code || !strings.Contains(r.Reason, c.reason)) {
			t.Errorf("%s %s %s: %+v, want %q %q", c.user, c.action, c.node, r, c.code, c.reason)
		}
	}
	l, err := db.ClusterNode("lapu")
	if err != nil || !l.Removed || l.RemovedAt.IsZero() {
		t.Errorf("lapu = %+v, %v", l, err)
	}
	// A removed node's id may join again with a new token.
	a.must(cmd(t, "admin", KindClusterToken, ClusterToken{ID: "k2", SecretHash: hashOf("s"), ExpiresAt: t0.Add(time.Hour * 24)}))
	a.must(cmd(t, "", KindClusterJoin, ClusterJoin{TokenID: "k2", SecretHash: hashOf("s"), NodeID: "lapu", Address: "l:2"}))
	if l, _ := db.ClusterNode("lapu"); l.Removed || l.Address != "l:2" {
		t.Errorf("rejoined lapu = %+v", l)
	}
}

// TestNodeReach: a command is taken from a node only as its kind's Reach
// allows: a township node acts only for users of its township and never
// for the bureau's kinds (a user.create as admin from a township PC makes
// no user); a bureau node (a voter without a township) may do both; a
// removed node nothing; a node the registry does not list is not limited.
func TestNodeReach(t *testing.T) {
	db := mustOpen(t)
	a := fixture(t, db)
	a.must(cmd(t, "", KindClusterJoin, ClusterJoin{NodeID: "bureau", Address: "10.0.0.5:7400", Bootstrap: true, CA: true}))
	for _, n := range []struct {
		id, township string
		voter        bool
	}{{"lapu", "T1", false}, {"second", "", true}, {"spare", "", false}, {"townvoter", "T1", true}, {"gone", "", true}} {
		tok := ClusterToken{ID: "tok-" + n.id, SecretHash: hashOf(n.id), Voter: n.voter, ExpiresAt: t0.Add(1000 * time.Hour)}
		a.must(cmd(t, "admin", KindClusterToken, tok))
		a.must(cmd(t, "", KindClusterJoin, ClusterJoin{TokenID: tok.ID, SecretHash: hashOf(n.id), NodeID: n.id,
			Address: n.id + ":7400", Township: n.township}))
	}
	a.must(cmd(t, "admin", KindClusterMember, ClusterMember{NodeID: "gone", Action: MemberRemove}))

	from := func(node, user, kind string, payload any) Command {
		c := cmd(t, user, kind, payload)
		c.Actor.Node = node
		return c
	}
	newUser := func(name string) UserCreate {
		return UserCreate{User: User{Username: name, Role: RoleAdmin, Line: LineEducation, Scope: DistrictScope, PasswordHash: testHash}}
	}
	seq := 0
	newChild := func(school string) StudentCreate {
		seq++
		village := map[string]string{"P1": "V1", "J2": "V2"}[school]
		grade := map[string]int{"P1": 3, "J2": 8}[school]
		return StudentCreate{StudentFields: child(t, 700+seq, village, school, grade, 1)}
	}
	for _, c := range []struct {
		name    string
		cmd     Command
		applied bool
		reason  string
	}{
		{"township node: user.create as admin", from("lapu", "admin", KindUserCreate, newUser("evil")), false, "only a bureau node"},
		{"township node: township.create as admin", from("lapu", "admin", KindTownshipCreate, Township{Code: "T8", Name: "假镇"}), false, "only a bureau node"},
		{"township node: the administrator's password hash", from("lapu", "admin", KindUserRehash,
			UserRehash{Username: "admin", Previous: "x", Hash: "$argon2id$v=19$m=65536,t=3,p=2$AAAA$AAAA"}), false, "not of township T1"},
		{"township node: a district user's child", from("lapu", "admin", KindStudentCreate, newChild("P1")), false, "not of township T1"},
		{"township node: its township's officer", from("lapu", "t1", KindStudentCreate, newChild("P1")), true, ""},
		{"township node: a school user of its township", from("lapu", "p1", KindStudentCreate, newChild("P1")), true, ""},
		{"township node: disable a user", from("lapu", "admin", KindUserUpdate, UserUpdate{Username: "t1", Disabled: ptr(true)}), false, "only a bureau node"},
		{"township node: reset a password", from("lapu", "admin", KindUserPasswordReset, UserPasswordReset{Username: "t1", Hash: "$argon2id$v=19$m=65536,t=3,p=2$AAAA$AAAA"}), false, "only a bureau node"},
		{"township node: the administrator's own password", from("lapu", "admin", KindUserPassword,
			UserPassword{Username: "admin", Previous: HashFingerprint(testHash), Hash: "$argon2id$v=19$m=65536,t=3,p=2$AAAA$AAAA"}), false, "not of township T1"},
		{"township voter: user.create as admin", from("townvoter", "admin", KindUserCreate, newUser("evil2")), false, "only a bureau node"},
		{"non-voter without a township: user.create", from("spare", "admin", KindUserCreate, newUser("evil3")), false, "only a bureau node"},
		{"non-voter without a township: a child", from("spare", "admin", KindStudentCreate, newChild("J2")), true, ""},
		{"removed node", from("gone", "admin", KindStudentCreate, newChild("J2")), false, "removed"},
		{"bureau voter: user.create", from("second", "admin", KindUserCreate, newUser("new1")), true, ""},
		{"bureau voter: a child anywhere", from("bureau", "admin", KindStudentCreate, newChild("J2")), true, ""},
		{"unregistered node", from("n1", "admin", KindUserCreate, newUser("new2")), true, ""},
	} {
		before := dump(t, db, false)
		r := a.apply(c.cmd)
		switch {
		case c.applied && !r.Applied():
			t.Errorf("%s: %+v, want applied", c.name, r)
		case !c.applied && (r.Applied() || r.Code != CodeForbidden || !strings.Contains(r.Reason, c.reason)):
			t.Errorf("%s: %+v, want forbidden (%q)", c.name, r, c.reason)
		case !c.applied && dump(t, db, false) != before:
			t.Errorf("%s: the refused command changed the register", c.name)
		}
	}
	if _, err := db.User("evil"); err == nil {
		t.Error("a township node's user.create as admin made a user")
	}
}

package store

import (
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Cluster commands: the node registry and join tokens are part of the
// register, so every node lists the same nodes (with their township) and a
// token is consumed exactly once, in log order.
const (
	// KindClusterToken registers a join token (admin only).
	KindClusterToken = "cluster.token"
	// KindClusterJoin consumes a token and records the joining node. Its
	// authority is the token's secret, not a user: the actor is the node
	// that served the join. The first node registers itself with Bootstrap
	// set, allowed only while the registry is empty.
	KindClusterJoin = "cluster.join"
	// KindClusterMember promotes, demotes or removes a node (admin only).
	KindClusterMember = "cluster.member"
)

// Rejection codes of cluster.join, besides CodeNotFound (unknown token),
// CodeForbidden (wrong secret) and CodeDuplicate (node ID in use).
const (
	CodeTokenUsed    = "token_used"
	CodeTokenExpired = "token_expired"
)

// Member actions.
const (
	MemberPromote = "promote"
	MemberDemote  = "demote"
	MemberRemove  = "remove"
)

// ClusterToken is a join token as the register keeps it: never the secret,
// only its SHA-256.
type ClusterToken struct {
	ID         string    `json:"id"`
	SecretHash string    `json:"secret_hash"` // hex SHA-256 of the secret
	Voter      bool      `json:"voter"`
	ExpiresAt  time.Time `json:"expires_at"`
	CreatedBy  string    `json:"created_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UsedBy     string    `json:"used_by,omitempty"` // node ID that joined with it
	UsedAt     time.Time `json:"used_at"`
}

// ClusterTokenCreate registers a join token: payload of cluster.token (the
// JSON of a ClusterToken; who made it, when and its use are set by the
// register).
type ClusterTokenCreate struct{ ClusterToken }

// ClusterJoin is the payload of cluster.join.
type ClusterJoin struct {
	TokenID    string `json:"token_id,omitempty"`
	SecretHash string `json:"secret_hash,omitempty"`
	NodeID     string `json:"node_id"`
	Address    string `json:"address"` // cluster address others dial
	Township   string `json:"township,omitempty"`
	Bootstrap  bool   `json:"bootstrap,omitempty"`
	CA         bool   `json:"ca,omitempty"` // the node holds the cluster CA key
}

// ClusterMember is the payload of cluster.member.
type ClusterMember struct {
	NodeID string `json:"node_id"`
	Action string `json:"action"` // MemberPromote, MemberDemote, MemberRemove
}

// Kind names the payload's command kind (Payload).
func (ClusterTokenCreate) Kind() string { return KindClusterToken }
func (ClusterJoin) Kind() string        { return KindClusterJoin }
func (ClusterMember) Kind() string      { return KindClusterMember }

var (
	_ = register(kindSpec[ClusterTokenCreate]{Who: Admin, Check: CheckClusterToken, Target: noTarget[ClusterTokenCreate], Apply: applyClusterToken})
	// cluster.join comes from no user: the token's secret is its authority.
	_ = register(kindSpec[ClusterJoin]{Who: Anyone, Check: CheckClusterJoin, Target: noTarget[ClusterJoin], Apply: applyClusterJoin})
	_ = register(kindSpec[ClusterMember]{Who: Admin, Check: CheckClusterMember, Target: noTarget[ClusterMember], Apply: applyClusterMember})
)

// CheckClusterToken checks a token's id and secret hash. Errors are
// *FieldError.
func CheckClusterToken(p *ClusterTokenCreate) error {
	switch {
	case !isCode(p.ID):
		return fieldErr("id", "format", "token id must be 1 to 32 letters, digits, - or _")
	case !isHexHash(p.SecretHash):
		return fieldErr("secret_hash", "format", "secret_hash must be a hex SHA-256")
	}
	return nil
}

// CheckClusterJoin checks a joining node's id and address. Errors are
// *FieldError.
func CheckClusterJoin(p *ClusterJoin) error {
	if !ValidNodeID(p.NodeID) {
		return fieldErr("node_id", "format", "node id must be 1 to 64 letters, digits, '-', '_' or '.'")
	}
	if _, _, err := net.SplitHostPort(p.Address); err != nil || len(p.Address) > 256 {
		return fieldErr("address", "format", "address must be host:port")
	}
	return nil
}

// CheckClusterMember checks a member action. Errors are *FieldError.
func CheckClusterMember(p *ClusterMember) error {
	switch p.Action {
	case MemberPromote, MemberDemote, MemberRemove:
		return nil
	}
	return fieldErr("action", "format", "action must be promote, demote or remove")
}

// ClusterNode is one node in the registry. Voter is the intent: the leader
// makes Raft's configuration follow it (a voter only once caught up).
type ClusterNode struct {
	ID        string    `json:"id"`
	Address   string    `json:"address"`
	Township  string    `json:"township,omitempty"`
	Voter     bool      `json:"voter"`
	CA        bool      `json:"ca,omitempty"`
	TokenID   string    `json:"token_id,omitempty"`
	JoinedAt  time.Time `json:"joined_at"`
	Removed   bool      `json:"removed,omitempty"`
	RemovedAt time.Time `json:"removed_at"`
}

// Buckets of the cluster registry.
var (
	bucketClusterTokens = []byte("cluster_tokens") // token id → ClusterToken
	bucketClusterNodes  = []byte("cluster_nodes")  // node id → ClusterNode
)

// ClusterNodes lists the registry in node ID order, removed nodes included.
func (db *DB) ClusterNodes() ([]ClusterNode, error) {
	return list[ClusterNode](db, bucketClusterNodes, nil)
}

// ClusterNode returns one node of the registry, or ErrNotFound.
func (db *DB) ClusterNode(id string) (ClusterNode, error) {
	var n ClusterNode
	err := db.view(func(tx *bolt.Tx) error {
		if !getJSON(tx.Bucket(bucketClusterNodes), []byte(id), &n) {
			return ErrNotFound
		}
		return nil
	})
	return n, err
}

// ClusterToken returns a join token (its hash, not its secret), or
// ErrNotFound.
func (db *DB) ClusterToken(id string) (ClusterToken, error) {
	var t ClusterToken
	err := db.view(func(tx *bolt.Tx) error {
		if !getJSON(tx.Bucket(bucketClusterTokens), []byte(id), &t) {
			return ErrNotFound
		}
		return nil
	})
	return t, err
}

// ValidNodeID reports whether id may name a node: 1 to 64 letters, digits,
// '-', '_' or '.'.
func ValidNodeID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func isHexHash(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32
}

func applyClusterToken(a *applyCtx, p *ClusterTokenCreate) error {
	if err := CheckClusterToken(p); err != nil {
		return invalid(err)
	}
	t := p.ClusterToken
	if !t.ExpiresAt.After(a.at) {
		return reject(CodeInvalid, "the token would have expired before it was registered").on("ttl")
	}
	b := a.tx.Bucket(bucketClusterTokens)
	if b.Get([]byte(t.ID)) != nil {
		return reject(CodeDuplicate, "token "+t.ID+" exists already").on("id").existing(t.ID)
	}
	t.CreatedBy, t.CreatedAt, t.UsedBy, t.UsedAt = a.actor.Username, a.at, "", time.Time{}
	t.ExpiresAt = t.ExpiresAt.UTC()
	a.done("token:"+t.ID, t.ID, 0, []Change{{Field: "voter", To: strconv.FormatBool(t.Voter)}, {Field: "expires_at", To: t.ExpiresAt.Format(time.RFC3339)}})
	return putJSON(b, []byte(t.ID), t)
}

func applyClusterJoin(a *applyCtx, p *ClusterJoin) error {
	if err := CheckClusterJoin(p); err != nil {
		return invalid(err)
	}
	if p.Township != "" && !exists(a, bucketTownships, p.Township) {
		return reject(CodeNotFound, "no township "+strconv.Quote(p.Township)).on("township")
	}
	nodes := a.tx.Bucket(bucketClusterNodes)
	var old ClusterNode
	if getJSON(nodes, []byte(p.NodeID), &old) && !old.Removed {
		return reject(CodeDuplicate, "node "+p.NodeID+" is in the cluster already").on("node_id").existing(p.NodeID)
	}
	n := ClusterNode{ID: p.NodeID, Address: p.Address, Township: p.Township, JoinedAt: a.at}
	if p.Bootstrap {
		if k, _ := nodes.Cursor().First(); k != nil {
			return reject(CodeState, "the cluster has nodes already: a node joins with a token").on("bootstrap")
		}
		n.Voter, n.CA = true, p.CA
	} else {
		t, err := useToken(a, p)
		if err != nil {
			return err
		}
		n.Voter, n.TokenID = t.Voter, t.ID
	}
	changes := []Change{{Field: "address", To: n.Address}, {Field: "voter", To: strconv.FormatBool(n.Voter)}}
	if n.Township != "" {
		changes = append(changes, Change{Field: "township", To: n.Township})
	}
	a.done("node:"+n.ID, n.ID, 0, changes)
	return putJSON(nodes, []byte(n.ID), n)
}

// useToken checks a join's token and secret and marks the token used.
func useToken(a *applyCtx, p *ClusterJoin) (ClusterToken, error) {
	tokens := a.tx.Bucket(bucketClusterTokens)
	var t ClusterToken
	hash, err := hex.DecodeString(p.SecretHash)
	switch {
	case !getJSON(tokens, []byte(p.TokenID), &t):
		return t, reject(CodeNotFound, "unknown join token").on("token")
	case err != nil || subtle.ConstantTimeCompare(hash, mustHex(t.SecretHash)) != 1:
		return t, reject(CodeForbidden, "wrong join token secret").on("token")
	case t.UsedBy != "":
		return t, reject(CodeTokenUsed, "join token was already used by node "+t.UsedBy+" at "+t.UsedAt.Format(time.RFC3339)).on("token")
	case !a.at.Before(t.ExpiresAt):
		return t, reject(CodeTokenExpired, "join token expired at "+t.ExpiresAt.Format(time.RFC3339)).on("token")
	}
	t.UsedBy, t.UsedAt = p.NodeID, a.at
	return t, putJSON(tokens, []byte(t.ID), t)
}

func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

func applyClusterMember(a *applyCtx, p *ClusterMember) error {
	nodes := a.tx.Bucket(bucketClusterNodes)
	var n ClusterNode
	if !getJSON(nodes, []byte(p.NodeID), &n) || n.Removed {
		return reject(CodeNotFound, "no node "+strconv.Quote(p.NodeID)+" in the cluster").on("node_id")
	}
	if err := CheckClusterMember(p); err != nil {
		return invalid(err)
	}
	old := n
	switch p.Action {
	case MemberPromote:
		if n.Voter {
			return reject(CodeState, "node "+n.ID+" is a voter already").on("action")
		}
		n.Voter = true
	case MemberDemote, MemberRemove:
		if p.Action == MemberDemote && !n.Voter {
			return reject(CodeState, "node "+n.ID+" is not a voter").on("action")
		}
		if p.Action == MemberRemove && n.CA {
			return reject(CodeState, "node "+n.ID+" holds the cluster CA key and signs joins; it cannot be removed").on("action")
		}
		if n.Voter && countVoters(nodes) <= 1 {
			return reject(CodeState, "node "+n.ID+" is the last voter").on("action")
		}
		if p.Action == MemberDemote {
			n.Voter = false
		} else {
			n.Removed, n.RemovedAt = true, a.at
		}
	}
	changes := []Change{{Field: "voter", From: strconv.FormatBool(old.Voter), To: strconv.FormatBool(n.Voter)}}
	if n.Removed {
		changes = append(changes, Change{Field: "removed", From: "false", To: "true"})
	}
	a.done("node:"+n.ID, n.ID, 0, changes)
	return putJSON(nodes, []byte(n.ID), n)
}

// countVoters counts the registry's nodes meant to vote.
func countVoters(nodes *bolt.Bucket) int {
	count := 0
	nodes.ForEach(func(_, v []byte) error {
		var n ClusterNode
		if err := json.Unmarshal(v, &n); err == nil && n.Voter && !n.Removed {
			count++
		}
		return nil
	})
	return count
}

//go:build !linux

package node

// raiseMDNSTTL is a no-op off Linux: zeroconf's sockets keep their default
// TTL there (see mdns_responder.go).
func raiseMDNSTTL() (int, error) { return 0, nil }

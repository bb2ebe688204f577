//go:build !linux

package mdns

// raiseMDNSTTL is a no-op off Linux: zeroconf's sockets keep their default
// TTL there (see responder.go).
func raiseMDNSTTL() (int, error) { return 0, nil }

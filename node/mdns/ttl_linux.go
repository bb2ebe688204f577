package mdns

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// raiseMDNSTTL sets IP TTL 255 (RFC 6762 §11), for multicast and unicast,
// IPv4 and IPv6, on every UDP socket of this process bound to port 5353:
// zeroconf's, which it does not let us configure, and our own. It returns
// how many sockets it changed. The sockets are found through /proc/self/fd;
// each is checked (datagram socket, local port 5353) right before it is
// changed, so a descriptor closed and reused meanwhile is at worst another
// mDNS socket of ours.
func raiseMDNSTTL() (int, error) {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, err
	}
	changed := 0
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if link, err := os.Readlink("/proc/self/fd/" + e.Name()); err != nil || !strings.HasPrefix(link, "socket:") {
			continue
		}
		if typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil || typ != unix.SOCK_DGRAM {
			continue
		}
		sa, err := unix.Getsockname(fd)
		if err != nil {
			continue
		}
		switch sa := sa.(type) {
		case *unix.SockaddrInet4:
			if sa.Port != mdnsPort {
				continue
			}
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, 255); err != nil {
				return changed, err
			}
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_TTL, 255); err != nil {
				return changed, err
			}
		case *unix.SockaddrInet6:
			if sa.Port != mdnsPort {
				continue
			}
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, 255); err != nil {
				return changed, err
			}
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, 255); err != nil {
				return changed, err
			}
		default:
			continue
		}
		changed++
	}
	return changed, nil
}

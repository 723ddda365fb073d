package sockdiag

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/nsutil"
	"golang.org/x/sys/unix"
)

// List lists the TCP and UDP sockets of netns ns through NETLINK_SOCK_DIAG,
// sorted like ss (by netid, then in kernel order). Equivalent to: `ss -tuna`
// with -l/-a as the filter says, plus -p for the owning processes.
func List(ns *nsutil.NetNS, filter Filter) ([]Socket, error) {
	fd, err := ns.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("list sockets: %w", err)
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval((10 * time.Second).Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return nil, fmt.Errorf("list sockets: set receive timeout: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("list sockets: bind netlink: %w", err)
	}
	var out []Socket
	type query struct {
		proto uint8
		netid string
	}
	var queries []query
	// ss shows UDP before TCP.
	if filter.UDP || !filter.TCP {
		queries = append(queries, query{unix.IPPROTO_UDP, "udp"})
	}
	if filter.TCP || !filter.UDP {
		queries = append(queries, query{unix.IPPROTO_TCP, "tcp"})
	}
	var families []uint8
	if filter.IPv4 || !filter.IPv6 {
		families = append(families, unix.AF_INET)
	}
	if filter.IPv6 || !filter.IPv4 {
		families = append(families, unix.AF_INET6)
	}
	buf := make([]byte, sockDiagRecvBufSize)
	seq := uint32(1)
	for _, q := range queries {
		for _, fam := range families {
			req := sockDiagRequest(seq, fam, q.proto, filter.states())
			if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
				return nil, fmt.Errorf("list sockets: send inet_diag request: %w", err)
			}
			err := sockDiagReceive(fd, buf, seq, func(s Socket) {
				s.Netid = q.netid
				out = append(out, s)
			})
			if err != nil {
				return nil, fmt.Errorf("list sockets: %w", err)
			}
			seq++
		}
	}
	if !filter.NoProcesses && len(out) > 0 {
		owners := Owners("/proc")
		for i := range out {
			out[i].Processes = owners[out[i].Inode]
		}
	}
	return out, nil
}

// sockDiagReceive reads the reply of one dump request and calls fn per socket.
func sockDiagReceive(fd int, buf []byte, seq uint32, fn func(Socket)) error {
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if errors.Is(err, unix.EAGAIN) {
				return fmt.Errorf("receive inet_diag reply: timed out")
			}
			return fmt.Errorf("receive inet_diag reply: %w", err)
		}
		done, err := Parse(buf[:n], seq, fn)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// Owners maps socket inodes to the processes that hold them, from the
// fd links under procRoot (normally /proc) that read "socket:[INODE]".
// Socket inodes are unique across namespaces, so one walk serves every netns.
// Processes that exit or cannot be read during the walk are skipped.
func Owners(procRoot string) map[uint32][]Process {
	owners := make(map[uint32][]Process)
	ents, err := os.ReadDir(procRoot)
	if err != nil {
		return owners
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		dir := procRoot + "/" + e.Name()
		fds, err := os.ReadDir(dir + "/fd")
		if err != nil {
			continue
		}
		comm := ""
		for _, f := range fds {
			link, err := os.Readlink(dir + "/fd/" + f.Name())
			if err != nil || !strings.HasPrefix(link, "socket:[") || !strings.HasSuffix(link, "]") {
				continue
			}
			ino, err := strconv.ParseUint(link[len("socket:["):len(link)-1], 10, 32)
			if err != nil {
				continue
			}
			fdn, err := strconv.Atoi(f.Name())
			if err != nil {
				continue
			}
			if comm == "" {
				b, _ := hostfile.ReadFile(dir+"/comm", maxProcValue)
				comm = strings.TrimSuffix(string(b), "\n")
			}
			owners[uint32(ino)] = append(owners[uint32(ino)], Process{PID: pid, Command: comm, FD: fdn})
		}
	}
	for _, ps := range owners {
		sort.Slice(ps, func(i, j int) bool {
			if ps[i].PID != ps[j].PID {
				return ps[i].PID < ps[j].PID
			}
			return ps[i].FD < ps[j].FD
		})
	}
	return owners
}

// maxProcValue bounds what is read of one /proc value (a process name).
const maxProcValue = 64 << 10

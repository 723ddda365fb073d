package nsutil

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/netdiag/netdiag/internal/hostfile"
)

// List returns every distinct network namespace it can see, sorted by ID:
// those of the processes in procRoot (normally "/proc": procRoot/PID/ns/net),
// those bind-mounted in bindDirs (e.g. /var/run/netns, containerd's
// …/io.containerd.grpc.v1.cri/netns; missing directories are ignored), and
// every nsfs netns bind mount in procRoot/self/mountinfo and, when PID 1 is in
// another mount namespace, procRoot/1/mountinfo.
//
// Namespaces held only by a thread other than a process's main thread, or only
// by an open file descriptor, are not found.
//
// Processes that exit during the scan are skipped, and so are processes that
// deny access even to CAP_SYS_PTRACE (non-dumpable ones, for example). Without
// CAP_SYS_PTRACE, when some processes cannot be read, List returns what it
// found together with an error that says so (errors.Is os.ErrPermission).
func List(procRoot string, bindDirs ...string) ([]Entry, error) {
	l := lister{byID: map[ID]*Entry{}, paths: map[string]bool{}}
	if err := l.procs(procRoot); err != nil {
		return nil, err
	}
	for _, d := range bindDirs {
		l.bindDir(d)
	}
	l.mountinfo(filepath.Join(procRoot, "self", "mountinfo"), "")
	if !sameFile(filepath.Join(procRoot, "self", "ns", "mnt"), filepath.Join(procRoot, "1", "ns", "mnt")) {
		l.mountinfo(filepath.Join(procRoot, "1", "mountinfo"), filepath.Join(procRoot, "1", "root"))
	}

	out := make([]Entry, 0, len(l.byID))
	for _, e := range l.byID {
		slices.Sort(e.Paths)
		slices.Sort(e.PIDs)
		out = append(out, *e)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(a.ID.Dev, b.ID.Dev), cmp.Compare(a.ID.Ino, b.ID.Ino))
	})
	// With CAP_SYS_PTRACE, the processes still denied are protected on purpose
	// (non-dumpable, a security module): skip them. Without it, the list is
	// missing most of the node, which the caller must hear about.
	if l.denied > 0 && !hasEffectiveCap(unix.CAP_SYS_PTRACE) {
		return out, fmt.Errorf("list netns: could not read the netns of %d of %d processes: needs CAP_SYS_PTRACE: run as root: %w",
			l.denied, l.seen, unix.EACCES)
	}
	return out, nil
}

type lister struct {
	byID   map[ID]*Entry
	paths  map[string]bool
	denied int // processes unreadable for lack of privilege
	seen   int
}

func (l *lister) entry(id ID) *Entry {
	e := l.byID[id]
	if e == nil {
		e = &Entry{ID: id}
		l.byID[id] = e
	}
	return e
}

func (l *lister) addPath(id ID, p string) {
	if l.paths[p] {
		return
	}
	l.paths[p] = true
	e := l.entry(id)
	e.Paths = append(e.Paths, p)
}

func (l *lister) procs(procRoot string) error {
	ents, err := os.ReadDir(procRoot)
	if err != nil {
		return fmt.Errorf("list netns: read %s: %w", procRoot, err)
	}
	for _, de := range ents {
		pid, err := strconv.Atoi(de.Name())
		if err != nil || pid <= 0 {
			continue
		}
		l.seen++
		var st unix.Stat_t
		err = unix.Stat(filepath.Join(procRoot, de.Name(), "ns", "net"), &st)
		switch {
		case err == nil:
		case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
			l.denied++
			continue
		default:
			// Exited (ENOENT, ESRCH) or a zombie: nothing holds a netns there.
			continue
		}
		e := l.entry(ID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)})
		e.PIDs = append(e.PIDs, pid)
	}
	return nil
}

// bindDir adds the netns files directly in dir; other files are skipped.
func (l *lister) bindDir(dir string) {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real // /var/run/netns and /run/netns name the same mounts
	}
	ents, err := hostfile.ReadDir(dir)
	if err != nil {
		return
	}
	for _, de := range ents {
		p := filepath.Join(dir, de.Name())
		if id, ok := netnsFileID(p); ok {
			l.addPath(id, p)
		}
	}
}

// maxMountinfo bounds a mountinfo file: about 150 bytes a mount, and nodes
// with tens of thousands of mounts exist.
const maxMountinfo = 64 << 20

// mountinfo adds the netns bind mounts listed in a mountinfo file, with their
// mount points prefixed by prefix.
func (l *lister) mountinfo(file, prefix string) {
	f, err := hostfile.Open(file, maxMountinfo)
	if err != nil {
		return
	}
	defer f.Close()
	mounts, err := parseMountinfo(f)
	if err != nil {
		return
	}
	for _, m := range mounts {
		ino, ok := m.netnsInode()
		if !ok {
			continue
		}
		p := m.MountPoint
		if prefix != "" {
			p = filepath.Join(prefix, p)
		}
		var st unix.Stat_t
		// A later mount over the same point hides the netns: check the inode.
		if err := unix.Stat(p, &st); err != nil || uint64(st.Ino) != ino {
			continue
		}
		l.addPath(ID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}, p)
	}
}

// netnsFileID opens p and returns its ID if it is a network namespace file.
func netnsFileID(p string) (ID, bool) {
	// Check the filesystem first so no device or FIFO is ever opened.
	var sfs unix.Statfs_t
	if unix.Statfs(p, &sfs) != nil || uint64(sfs.Type) != nsfsMagic {
		return ID{}, false
	}
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return ID{}, false
	}
	defer unix.Close(fd)
	id, err := checkNetNS(fd)
	return id, err == nil
}

func sameFile(a, b string) bool {
	var sa, sb unix.Stat_t
	if unix.Stat(a, &sa) != nil || unix.Stat(b, &sb) != nil {
		return true // cannot tell: do not scan twice
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

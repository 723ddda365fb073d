package nsutil

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// mount is the part of a /proc/PID/mountinfo line that List needs.
type mount struct {
	Root       string // root of the mount within its filesystem; "net:[INODE]" for a netns
	MountPoint string // relative to the reading process's root
	FSType     string
}

// netnsInode returns the inode of a netns bind mount ("nsfs" with root
// "net:[INODE]") and whether the mount is one.
func (m mount) netnsInode() (uint64, bool) {
	if m.FSType != "nsfs" || !strings.HasPrefix(m.Root, "net:[") || !strings.HasSuffix(m.Root, "]") {
		return 0, false
	}
	ino, err := strconv.ParseUint(m.Root[len("net:["):len(m.Root)-1], 10, 64)
	if err != nil {
		return 0, false
	}
	return ino, true
}

var errMountinfo = errors.New("malformed mountinfo line")

// parseMountinfo parses proc(5) /proc/PID/mountinfo:
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// fields: mount ID, parent ID, major:minor, root, mount point, options, zero
// or more optional fields, "-", fs type, source, super options.
func parseMountinfo(r io.Reader) ([]mount, error) {
	var out []mount
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" {
			continue
		}
		m, err := parseMountinfoLine(text)
		if err != nil {
			return nil, fmt.Errorf("parse mountinfo line %d: %w", line, err)
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return out, nil
}

func parseMountinfoLine(s string) (mount, error) {
	// The kernel separates fields with single spaces and escapes only space,
	// tab, newline and backslash, so other white space (\r, U+00A0) is data.
	f := strings.Split(s, " ")
	if len(f) < 10 || slices.Contains(f, "") {
		return mount{}, errMountinfo
	}
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	if sep < 0 || len(f) < sep+3 {
		return mount{}, errMountinfo
	}
	root, err := unescapeMount(f[3])
	if err != nil {
		return mount{}, err
	}
	mp, err := unescapeMount(f[4])
	if err != nil {
		return mount{}, err
	}
	fstype, err := unescapeMount(f[sep+1])
	if err != nil {
		return mount{}, err
	}
	return mount{Root: root, MountPoint: mp, FSType: fstype}, nil
}

// unescapeMount undoes the kernel's octal escaping of space, tab, newline and
// backslash (\040 \011 \012 \134) in mountinfo fields.
func unescapeMount(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+4 > len(s) {
			return "", fmt.Errorf("%w: bad escape in %q", errMountinfo, s)
		}
		v, err := strconv.ParseUint(s[i+1:i+4], 8, 8)
		if err != nil {
			return "", fmt.Errorf("%w: bad escape in %q", errMountinfo, s)
		}
		b.WriteByte(byte(v))
		i += 3
	}
	return b.String(), nil
}

package bundle

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/netdiag/netdiag/checks"
	"github.com/netdiag/netdiag/internal/hostfile"
	"github.com/netdiag/netdiag/node"
	"github.com/netdiag/netdiag/show"
	"github.com/netdiag/netdiag/snapshot"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxSize         = 20 << 20
	DefaultConntrackSample = 1000
	DefaultKernelLines     = 500
)

// Options say where the node is and how much to collect.
type Options struct {
	HostRoot        string // where the node's files are; "" means /
	NodeNetNS       string // path of the node netns; "" means PID 1's
	RuntimeEndpoint string // CRI socket; "" means auto-detect
	// MaxSize bounds the uncompressed bytes of all files but manifest.json;
	// 0 means DefaultMaxSize. Each section also has its own share of it.
	MaxSize int64
	// ConntrackSample is how many conntrack entries to keep; 0 means
	// DefaultConntrackSample, negative means none.
	ConntrackSample int
	// KernelLines is how many network-related kernel log lines to keep;
	// 0 means DefaultKernelLines, negative means none.
	KernelLines int
	// Version is netdiag's version, for the manifest.
	Version string
	// Now is the bundle's time; zero means time.Now().
	Now time.Time
	// Hostname names the node; "" reads HostRoot/etc/hostname, then uname.
	Hostname string
	// KmsgPath is the kernel log device; "" means /dev/kmsg.
	KmsgPath string
	// Sample is the time between the doctor's two counter samples; 0
	// means 2 s.
	Sample time.Duration
}

// Manifest is manifest.json: what the bundle holds and what it lacks.
type Manifest struct {
	NetdiagVersion string    `json:"netdiagVersion"`
	Created        time.Time `json:"created"`
	Hostname       string    `json:"hostname"`
	KernelRelease  string    `json:"kernelRelease"`
	HostRoot       string    `json:"hostRoot"`
	NodeNetNS      string    `json:"nodeNetns"`
	// MaxSize is the cap on ContentSize, the bytes of every file but this one.
	MaxSize         int64     `json:"maxSize"`
	ContentSize     int64     `json:"contentSize"`
	ConntrackSample int       `json:"conntrackSample"`
	Pods            int       `json:"pods"`
	Files           []File    `json:"files"`
	NotCollected    []Missing `json:"notCollected"`
	Notes           []string  `json:"notes,omitempty"`
}

// File is one file of the bundle, named relative to its top directory.
type File struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Format      string `json:"format"` // json or text
	Size        int64  `json:"size"`
	Truncated   bool   `json:"truncated,omitempty"`
	Note        string `json:"note,omitempty"`
}

// Missing is a file the bundle would hold but could not collect.
type Missing struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Reason      string `json:"reason"`
}

const manifestName = "manifest.json"

// Shares of MaxSize each section may use at most. They add up to more than
// one: the caps stop one huge section from crowding out the rest, and the
// overall budget, spent in this order, bounds the total.
const (
	shareDoctor    = 0.10
	sharePods      = 0.05
	shareIPText    = 0.03
	shareIPJSON    = 0.06
	shareIPTables  = 0.20
	shareNFT       = 0.20
	shareIPVS      = 0.05
	shareServices  = 0.05
	shareConntrack = 0.04
	shareSockets   = 0.05
	shareCounters  = 0.01
	shareSysctls   = 0.03
	shareCNI       = 0.02
	shareKernel    = 0.03
	sharePodNetns  = 0.25 // all pods together
)

// maxHostname bounds etc/hostname: one name of at most 253 bytes, perhaps
// with comments.
const maxHostname = 4 << 10

// Hostname returns the node's name: hostRoot/etc/hostname (a regular file
// of at most maxHostname bytes), else the kernel's node name.
func Hostname(hostRoot string) string {
	if hostRoot == "" {
		hostRoot = "/"
	}
	if b, err := hostfile.ReadFileInRoot(hostRoot, "etc/hostname", maxHostname); err == nil {
		if h := strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]); h != "" {
			return h
		}
	}
	// On Linux, the nodename of uname(2): the host name of our UTS namespace.
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "unknown"
}

// FileName is the default name of a bundle:
// netdiag-bundle-HOSTNAME-YYYYMMDD-HHMMSS.tar.gz, in UTC.
func FileName(hostname string, t time.Time) string {
	return "netdiag-bundle-" + safeName(hostname) + "-" + t.UTC().Format("20060102-150405") + ".tar.gz"
}

// safeName keeps a string usable as one path element.
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
		if !ok {
			b[i] = '_'
		}
	}
	out := strings.TrimLeft(string(b), ".")
	if len(out) > 100 {
		out = out[:100]
	}
	if out == "" {
		return "unknown"
	}
	return out
}

// Write collects everything and writes the bundle to w as a tar.gz. Every
// collector failure becomes an entry of the manifest's notCollected; Write
// fails only when writing w fails. It returns the manifest it wrote.
func Write(ctx context.Context, w io.Writer, o Options) (*Manifest, error) {
	if o.HostRoot == "" {
		o.HostRoot = "/"
	}
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.ConntrackSample == 0 {
		o.ConntrackSample = DefaultConntrackSample
	}
	if o.KernelLines == 0 {
		o.KernelLines = DefaultKernelLines
	}
	if o.KmsgPath == "" {
		o.KmsgPath = "/dev/kmsg"
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Hostname == "" {
		o.Hostname = Hostname(o.HostRoot)
	}
	man := &Manifest{
		NetdiagVersion: o.Version, Created: o.Now.UTC().Truncate(time.Second), Hostname: o.Hostname,
		KernelRelease: node.KernelRelease(), HostRoot: o.HostRoot, NodeNetNS: o.NodeNetNS,
		MaxSize: o.MaxSize, ConntrackSample: max(o.ConntrackSample, 0),
		Files: []File{}, NotCollected: []Missing{},
	}
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	a := &archive{
		tw: tw, dir: strings.TrimSuffix(FileName(o.Hostname, o.Now), ".tar.gz"),
		mtime: o.Now, left: o.MaxSize, man: man,
	}
	c := &collector{a: a, o: o, ctx: ctx}
	c.run()
	a.writeManifest()
	if a.err != nil {
		return man, a.err
	}
	if err := tw.Close(); err != nil {
		return man, fmt.Errorf("write bundle: %w", err)
	}
	if err := gz.Close(); err != nil {
		return man, fmt.Errorf("write bundle: %w", err)
	}
	return man, nil
}

// collector writes the sections in order of importance, so that when the
// budget runs out the tail goes first. Everything it writes comes from one
// snapshot of the node.
type collector struct {
	a       *archive
	o       Options
	ctx     context.Context
	snap    *snapshot.Snapshot
	snapErr error
	inv     *node.Inventory
	invErr  error
	// stopped is set once the context is done and that is noted.
	stopped bool
}

func (c *collector) share(f float64) int64 { return int64(float64(c.o.MaxSize) * f) }

// interrupted notes, once, that the run was cancelled.
func (c *collector) interrupted(what string) bool {
	if c.ctx.Err() == nil {
		return false
	}
	if !c.stopped {
		c.stopped = true
		c.a.missing(what, "everything from here on", "interrupted: "+c.ctx.Err().Error())
	}
	return true
}

func (c *collector) run() {
	// One snapshot of the node, as the doctor takes it, with the raw
	// sections a bundle holds.
	c.guard("doctor.json", c.snapshot)
	c.guard("doctor.json", c.doctor)
	c.guard("pods.json", c.pods)
	if c.interrupted("node/") {
		return
	}
	if c.snapErr != nil {
		// Collect says what failed; the node netns' own error is the reason.
		reason := c.snapErr
		if u := errors.Unwrap(c.snapErr); u != nil {
			reason = u
		}
		c.a.missing("node/", "the node network namespace", reason.Error())
	} else {
		c.node()
	}
	if c.interrupted("cni/") {
		return
	}
	c.guard("cni/", c.cni)
	c.guard("kernel/", c.kernel)
	c.podNetns()
}

// guard turns a panic in one collector into a manifest entry, so that one
// bug costs one section, not the bundle.
func (c *collector) guard(what string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			c.a.missing(what, "a section that failed", fmt.Sprintf("internal error (please report it): %v", r))
		}
	}()
	fn()
}

// snapshot reads the node once. DNS probes are left out: they send
// queries, and a bundle only reads. Stale containers are judged among all
// processes (StaleAskedAt 0).
func (c *collector) snapshot() {
	nodeOpts := node.Options{HostRoot: c.o.HostRoot, NodeNetNS: c.o.NodeNetNS, RuntimeEndpoint: c.o.RuntimeEndpoint}
	raw := snapshot.RawOptions{
		NetNS: true, Rules: true, ConntrackSample: max(c.o.ConntrackSample, 0),
		CNI: true, KernelLog: true, KernelLines: max(c.o.KernelLines, 0),
	}
	c.snap, c.snapErr = snapshot.Collect(c.ctx, snapshot.Options{Node: nodeOpts, Sample: c.o.Sample, KernelLog: c.o.KmsgPath, Raw: raw})
	if c.snapErr != nil {
		c.invErr = c.snapErr
		return
	}
	if why, bad := c.snap.Unavailable[snapshot.PartPods]; bad {
		c.invErr = errors.New(why)
	} else {
		c.inv = c.snap.Inventory
	}
}

// doctor runs every check on the snapshot, as `netdiag doctor -o json` does.
func (c *collector) doctor() {
	const name, desc = "doctor.json", "doctor report: every check's findings with evidence and fixes (netdiag doctor -o json)"
	if c.snapErr != nil {
		c.a.missing(name, desc, "doctor: "+c.snapErr.Error())
		return
	}
	c.a.addJSON(name, desc, c.share(shareDoctor), "", checks.Judge(c.snap, checks.All(), nil))
}

// podsFile is pods.json: the inventory without process command lines.
type podsFile struct {
	Pods      []node.Pod    `json:"pods"`
	Total     int           `json:"total"`
	Truncated bool          `json:"truncated,omitempty"`
	Sources   []string      `json:"sources"`
	Warnings  []string      `json:"warnings"`
	NodeNetNS node.NetNSRef `json:"nodeNetns"`
	Runtime   string        `json:"runtime,omitempty"`
}

func (c *collector) pods() {
	const name, desc = "pods.json", "the pods on this node, their netns, interfaces and containers (netdiag pods -o json)"
	if c.invErr != nil || c.inv == nil {
		reason := "the pod list could not be read"
		if c.invErr != nil {
			reason = c.invErr.Error()
		}
		c.a.missing(name, desc, reason)
		return
	}
	inv := c.inv
	c.a.man.Pods = len(inv.Pods)
	c.a.addJSONList(name, desc, c.share(sharePods), "process command lines are left out", len(inv.Pods), func(n int) any {
		return podsFile{Pods: inv.Pods[:n], Total: len(inv.Pods), Truncated: n < len(inv.Pods),
			Sources: inv.Sources, Warnings: nonNilStrings(inv.Warnings), NodeNetNS: inv.NodeNetNS, Runtime: inv.Runtime}
	})
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// caps are the section caps of one netns's members.
type caps struct{ text, json int64 }

// netnsMembers writes what every netns has: interfaces, addresses, routes,
// neighbours, sockets, sysctls and counters, as the snapshot read them
// (raw). dir ends in "/". For a pod (pod != nil) it keeps a short list of
// sysctls and the non-zero counters.
func (c *collector) netnsMembers(raw *snapshot.RawNetNS, dir, what string, cp caps, pod *node.Pod) {
	textCap, jsonCap := cp.text, cp.json
	ip := raw.IP
	if ip == nil {
		for _, m := range []string{"ip-addr.txt", "ip-route.txt", "ip-neigh.txt", "ip.json"} {
			c.a.missing(dir+m, "interfaces, addresses, routes and neighbours of "+what, raw.IPErr.Error())
		}
	} else {
		note := ""
		if len(ip.Errors) > 0 {
			note = "partly read: " + strings.Join(ip.Errors, "; ")
		}
		c.a.addText(dir+"ip-addr.txt", "interfaces and addresses of "+what+" (ip addr show)", textCap, note, nil, writeAddrText(ip))
		c.a.addText(dir+"ip-route.txt", "routes of every table of "+what+" (ip route show table all; ip -6 route show table all)", textCap, note, nil, func(w io.Writer) error { return show.WriteRoutes(w, ip.Routes) })
		c.a.addText(dir+"ip-neigh.txt", "neighbour (ARP/NDP) entries of "+what+" (ip neigh show nud all)", textCap, note, nil, func(w io.Writer) error { return show.WriteNeighbors(w, ip.Neighbors) })
		c.a.addJSONList(dir+"ip.json", "links, addresses, routes and neighbours of "+what+" as JSON", jsonCap, note, len(ip.Routes)+len(ip.Neighbors), func(n int) any {
			// Long route and neighbour tables lose their tail first.
			out := *ip
			nr := min(n, len(ip.Routes))
			out.Routes = ip.Routes[:nr]
			out.Neighbors = ip.Neighbors[:n-nr]
			return struct {
				*show.IPState
				Truncated bool `json:"truncated,omitempty"`
			}{&out, n < len(ip.Routes)+len(ip.Neighbors)}
		})
	}
	c.sockets(raw, dir, what, cp, ip)
	c.sysctls(raw, dir, what, cp, pod)
	c.counters(dir, what, cp, pod)
}

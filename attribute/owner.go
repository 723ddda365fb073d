package attribute

import (
	"strconv"
	"strings"
)

// Owner is who holds one end of a flow.
type Owner struct {
	// Pod is NAMESPACE/NAME; "" for the node's own processes.
	Pod string
	// Container is the container's name (its short ID when the name is not
	// known); "" when the process is in no container.
	Container string
	PID       int
	Comm      string
	// Unknown is set when the end is this pod's (or the node's) but no
	// socket holds it any more: the process is not known.
	Unknown bool
}

// String is "pod=NS/NAME container=C pid=N comm=X", "node pid=N comm=X",
// or "pod=NS/NAME owner unknown".
func (o Owner) String() string {
	var b strings.Builder
	if o.Pod != "" {
		b.WriteString("pod=" + o.Pod)
	} else {
		b.WriteString("node")
	}
	if o.Unknown {
		b.WriteString(" owner unknown")
		return b.String()
	}
	if o.Container != "" {
		b.WriteString(" container=" + o.Container)
	}
	b.WriteString(" pid=" + strconv.Itoa(o.PID))
	if o.Comm != "" {
		b.WriteString(" comm=" + o.Comm)
	}
	return b.String()
}

// comment is a flow's packet comment: its local ends' owners, with "src"
// and "dst" when both ends are local; "owner unknown" when neither is.
func comment(src, dst *Owner) string {
	switch {
	case src != nil && dst != nil:
		return "src " + src.String() + "; dst " + dst.String()
	case src != nil:
		return src.String()
	case dst != nil:
		return dst.String()
	}
	return "owner unknown"
}

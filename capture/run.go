package capture

import "time"

// RunConfig bounds a capture. The zero value runs until ctx is done or an
// interface goes away.
type RunConfig struct {
	// Count stops after this many packets were handled (tcpdump -c); 0 is
	// no limit.
	Count uint64
	// Duration stops the capture this long after it started; 0 is no limit.
	Duration time.Duration
	// Watch, when set, is called about every WatchEvery; an error stops the
	// capture with that error as the reason (e.g. the pod's netns is gone).
	Watch      func() error
	WatchEvery time.Duration
	// Output, when set, takes the packets in place of Run's handler, which
	// must then be nil. A pcap file without rotation is then written a
	// ring block at a time, with no call per packet but the record's.
	Output *Output
}

// Result says how a capture ended.
type Result struct {
	// Captured counts the packets given to the handler ("packets captured").
	Captured uint64
	// Reason is why the capture stopped: ErrCountReached, ErrDurationElapsed,
	// ErrInterfaceGone, ErrInterfaceDown, ctx's cause, Watch's error, or the
	// handler's error.
	Reason error
	// Stats are the final kernel counters of each handle, in order.
	Stats []Stats
}

// Total sums the statistics of all handles.
func (r Result) Total() Stats {
	var t Stats
	for _, s := range r.Stats {
		t = t.Add(s)
	}
	return t
}

// Handler receives each packet. data points into the ring and is valid only
// until Handler returns. An error stops the capture and is returned by Run.
type Handler func(pi *PacketInfo, data []byte) error

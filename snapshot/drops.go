package snapshot

import (
	"context"
	"time"

	"github.com/netdiag/netdiag/dropmon"
)

// sampleDrops counts drop reasons from now until the returned function is
// called (the end of the sample); when they cannot be read the part is
// unavailable and the checks go on without them.
func (s *Snapshot) sampleDrops(ctx context.Context, o Options) (done func()) {
	if !o.Drops {
		s.Unavailable[PartDrops] = "drop reasons not sampled"
		return func() {}
	}
	m, err := dropmon.Open(dropmon.Options{})
	if err != nil {
		s.Unavailable[PartDrops] = err.Error()
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	type result struct {
		rep *dropmon.Report
		err error
	}
	ch := make(chan result, 1)
	go func() {
		// The sample ends when done cancels; the hour only bounds it.
		rep, err := m.Sample(ctx, time.Hour)
		ch <- result{rep, err}
	}()
	return func() {
		cancel()
		r := <-ch
		if err := m.Close(); err != nil && r.err == nil {
			r.err = err
		}
		if r.err != nil {
			s.Unavailable[PartDrops] = r.err.Error()
			return
		}
		s.Drops = r.rep.Counts
	}
}

package stale

import "golang.org/x/sys/unix"

// BootTicks is now in the unit of /proc/PID/stat's starttime: clock ticks
// since boot. A process whose start time is later started after this call.
func BootTicks() uint64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return uint64(ts.Nano()) / (1e9 / userHZ)
}

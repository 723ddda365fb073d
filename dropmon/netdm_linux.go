package dropmon

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// netdmConfig is the drop monitor's global configuration
// (NET_DM_CMD_CONFIG_GET / NET_DM_CMD_CONFIG).
type netdmConfig struct {
	Mode     uint8  `json:"mode"`
	TruncLen uint32 `json:"truncLen"`
	QueueLen uint32 `json:"queueLen"`
}

// What netdiag asks of the drop monitor: packets, their first 128 bytes
// (headers, not payload), and the kernel's default queue per CPU.
var netdmWant = netdmConfig{Mode: netdmModePacket, TruncLen: 128, QueueLen: 1000}

const netdmStateFile = "netdm.json"

// netdmState is what a run writes before it starts the drop monitor, so
// that the next run can stop it and restore the settings if this one is
// killed (SIGKILL leaves no chance to clean up).
type netdmState struct {
	PID       int         `json:"pid"`
	StartTime uint64      `json:"startTime"` // /proc/PID/stat field 22: tells a reused PID apart
	Saved     netdmConfig `json:"saved"`
}

// netdmEvents is the multicast side of a generic netlink connection.
type netdmEvents interface {
	JoinGroup(group uint32) error
	SetReadBuffer(bytes int) error
	SetReadDeadline(t time.Time) error
	Receive() ([]genetlink.Message, []netlink.Message, error)
	Close() error
}

// netdmSource reads packet alerts from the drop monitor.
type netdmSource struct {
	ctrl    *genetlink.Conn
	events  netdmEvents
	family  genetlink.Family
	saved   netdmConfig
	dir     string
	started bool
}

// openNetDM starts the drop monitor in packet mode. ErrNotSupported: the
// kernel has no NET_DM family; ErrBusy: another program is monitoring.
func openNetDM() (*netdmSource, []string, error) {
	ctrl, err := genetlink.Dial(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("dial generic netlink: %w", err)
	}
	fam, err := ctrl.GetFamily("NET_DM")
	if err != nil {
		ctrl.Close()
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, fmt.Errorf("%w: no NET_DM generic netlink family (CONFIG_NET_DROP_MONITOR, module drop_monitor)", ErrNotSupported)
		}
		return nil, nil, fmt.Errorf("look up NET_DM family: %w", err)
	}
	events, err := genetlink.Dial(nil)
	if err != nil {
		ctrl.Close()
		return nil, nil, fmt.Errorf("dial generic netlink: %w", err)
	}
	s, notes, err := startNetDM(ctrl, events, fam, netdmStateDir)
	if err != nil {
		ctrl.Close()
		events.Close()
		return nil, notes, err
	}
	return s, notes, nil
}

// startNetDM does the work of openNetDM on connections it is given.
func startNetDM(ctrl *genetlink.Conn, events netdmEvents, fam genetlink.Family, dir string) (*netdmSource, []string, error) {
	var group uint32
	for _, g := range fam.Groups {
		if g.Name == "events" {
			group = g.ID
		}
	}
	if group == 0 {
		return nil, nil, fmt.Errorf("%w: NET_DM family without an events group", ErrNotSupported)
	}
	if fam.Version < 2 {
		return nil, nil, fmt.Errorf("%w: NET_DM version %d has no packet mode (Linux 5.4+)", ErrNotSupported, fam.Version)
	}
	s := &netdmSource{ctrl: ctrl, events: events, family: fam, dir: dir}
	var notes []string
	if note, err := s.recoverStale(); err != nil {
		return nil, nil, err
	} else if note != "" {
		notes = append(notes, note)
	}
	saved, err := s.getConfig()
	if err != nil {
		return nil, notes, err
	}
	s.saved = saved
	if err := s.setConfig(netdmWant); err != nil {
		if errors.Is(err, unix.EBUSY) {
			return nil, notes, fmt.Errorf("%w: it refuses new settings while monitoring (%v)", ErrBusy, err)
		}
		return nil, notes, err
	}
	if err := s.writeState(); err != nil {
		_ = s.setConfig(saved)
		return nil, notes, err
	}
	if err := events.JoinGroup(group); err != nil {
		s.restore()
		return nil, notes, fmt.Errorf("join NET_DM events group: %w", err)
	}
	_ = events.SetReadBuffer(8 << 20)
	if err := s.command(netdmCmdStart); err != nil {
		s.restore()
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EBUSY) {
			return nil, notes, fmt.Errorf("%w: %v", ErrBusy, err)
		}
		return nil, notes, fmt.Errorf("start NET_DM: %w", err)
	}
	s.started = true
	return s, notes, nil
}

// command sends START or STOP for software drops.
func (s *netdmSource) command(cmd uint8) error {
	ae := netlink.NewAttributeEncoder()
	ae.Flag(netdmAttrSWDrops, true)
	b, err := ae.Encode()
	if err != nil {
		return err
	}
	_, err = s.ctrl.Execute(genetlink.Message{Header: genetlink.Header{Command: cmd, Version: s.family.Version}, Data: b},
		s.family.ID, netlink.Request|netlink.Acknowledge)
	return err
}

func (s *netdmSource) getConfig() (netdmConfig, error) {
	msgs, err := s.ctrl.Execute(genetlink.Message{Header: genetlink.Header{Command: netdmCmdConfigGet, Version: s.family.Version}},
		s.family.ID, netlink.Request)
	if err != nil {
		return netdmConfig{}, fmt.Errorf("read NET_DM settings: %w", err)
	}
	for _, m := range msgs {
		if m.Header.Command != netdmCmdConfigNew {
			continue
		}
		return decodeConfig(m.Data)
	}
	return netdmConfig{}, errors.New("read NET_DM settings: no reply")
}

func decodeConfig(b []byte) (netdmConfig, error) {
	var c netdmConfig
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return c, fmt.Errorf("decode NET_DM settings: %w", err)
	}
	for ad.Next() {
		switch ad.Type() {
		case netdmAttrAlertMode:
			c.Mode = ad.Uint8()
		case netdmAttrTruncLen:
			c.TruncLen = ad.Uint32()
		case netdmAttrQueueLen:
			c.QueueLen = ad.Uint32()
		}
	}
	if err := ad.Err(); err != nil {
		return c, fmt.Errorf("decode NET_DM settings: %w", err)
	}
	return c, nil
}

func (s *netdmSource) setConfig(c netdmConfig) error {
	ae := netlink.NewAttributeEncoder()
	ae.Uint8(netdmAttrAlertMode, c.Mode)
	ae.Uint32(netdmAttrTruncLen, c.TruncLen)
	ae.Uint32(netdmAttrQueueLen, c.QueueLen)
	b, err := ae.Encode()
	if err != nil {
		return err
	}
	_, err = s.ctrl.Execute(genetlink.Message{Header: genetlink.Header{Command: netdmCmdConfig, Version: s.family.Version}, Data: b},
		s.family.ID, netlink.Request|netlink.Acknowledge)
	if err != nil {
		return fmt.Errorf("set NET_DM settings: %w", err)
	}
	return nil
}

// restore stops monitoring (if this run started it), puts the saved
// settings back and removes the state record; it keeps the record when
// the settings could not be restored, for the next run.
func (s *netdmSource) restore() error {
	var errs []error
	if s.started {
		if err := s.command(netdmCmdStop); err != nil {
			errs = append(errs, fmt.Errorf("stop NET_DM: %w", err))
		}
		s.started = false
	}
	if err := s.setConfig(s.saved); err != nil {
		errs = append(errs, err)
	} else if err := os.Remove(filepath.Join(s.dir, netdmStateFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("remove NET_DM state record: %w", err))
	}
	return errors.Join(errs...)
}

func (s *netdmSource) writeState() error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", s.dir, err)
	}
	st := netdmState{PID: os.Getpid(), StartTime: processStart(os.Getpid()), Saved: s.saved}
	b, _ := json.Marshal(st)
	tmp := filepath.Join(s.dir, netdmStateFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write NET_DM state record: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, netdmStateFile)); err != nil {
		return fmt.Errorf("write NET_DM state record: %w", err)
	}
	return nil
}

// recoverStale undoes what a killed run left: when the record's process
// is gone, it stops the drop monitor and restores the saved settings. A
// record of a live process means another netdiag is monitoring.
func (s *netdmSource) recoverStale() (string, error) {
	path := filepath.Join(s.dir, netdmStateFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read NET_DM state record: %w", err)
	}
	var st netdmState
	if err := json.Unmarshal(b, &st); err != nil || st.PID <= 0 {
		return "", fmt.Errorf("NET_DM state record %s is unreadable (%v): check `genl ctrl` state by hand and remove it", path, err)
	}
	if st.PID != os.Getpid() && processStart(st.PID) == st.StartTime && st.StartTime != 0 {
		return "", fmt.Errorf("%w: netdiag PID %d is monitoring drops (%s)", ErrBusy, st.PID, path)
	}
	// STOP succeeds when monitoring is already off.
	stale := &netdmSource{ctrl: s.ctrl, family: s.family, saved: st.Saved, dir: s.dir, started: true}
	if err := stale.restore(); err != nil {
		return "", fmt.Errorf("undo the drop monitor settings of killed netdiag PID %d: %w", st.PID, err)
	}
	return fmt.Sprintf("stopped the drop monitor left running by netdiag PID %d, which was killed, and restored its settings", st.PID), nil
}

// processStart is field 22 of /proc/PID/stat, 0 when the process is gone.
func processStart(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces and parentheses.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0
	}
	v, _ := strconv.ParseUint(f[19], 10, 64)
	return v
}

func (s *netdmSource) poll(timeout time.Duration, fn func(Drop)) (uint64, error) {
	if timeout <= 0 {
		timeout = time.Millisecond
	}
	_ = s.events.SetReadDeadline(time.Now().Add(timeout))
	msgs, _, err := s.events.Receive()
	var lost uint64
	if err != nil {
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout(), errors.Is(err, os.ErrDeadlineExceeded):
			return 0, nil
		case errors.Is(err, unix.ENOBUFS):
			// The socket overflowed; the kernel does not say by how much.
			return 1, nil
		}
		return 0, fmt.Errorf("receive NET_DM alerts: %w", err)
	}
	for _, m := range msgs {
		if m.Header.Command != netdmCmdPacketAlert {
			continue
		}
		a, err := DecodeAlert(m.Data)
		if err != nil {
			lost++
			continue
		}
		fn(a.Drop())
	}
	return lost, nil
}

func (s *netdmSource) close() error {
	err := s.restore()
	s.events.Close()
	s.ctrl.Close()
	return err
}

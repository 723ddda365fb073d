package dropmon

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// fakeDropMonitor behaves as drop_monitor.c does towards one client:
// global settings that are refused while monitoring, START/STOP, and the
// errors it gives when another program already monitors.
type fakeDropMonitor struct {
	cfg        netdmConfig
	monitoring bool
	log        []string
}

var testFamily = genetlink.Family{ID: 0x20, Name: "NET_DM", Version: 2,
	Groups: []genetlink.MulticastGroup{{ID: 9, Name: "events"}}}

func (k *fakeDropMonitor) serve(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
	switch greq.Header.Command {
	case netdmCmdConfigGet:
		k.log = append(k.log, "config-get")
		ae := netlink.NewAttributeEncoder()
		ae.Uint8(netdmAttrAlertMode, k.cfg.Mode)
		ae.Uint32(netdmAttrTruncLen, k.cfg.TruncLen)
		ae.Uint32(netdmAttrQueueLen, k.cfg.QueueLen)
		b, _ := ae.Encode()
		return []genetlink.Message{{Header: genetlink.Header{Command: netdmCmdConfigNew, Version: 2}, Data: b}}, nil
	case netdmCmdConfig:
		if k.monitoring {
			k.log = append(k.log, "config refused")
			return nil, genltest.Error(int(unix.EBUSY))
		}
		c, err := decodeConfig(greq.Data)
		if err != nil {
			return nil, err
		}
		k.cfg = c
		k.log = append(k.log, "config "+configString(c))
		return nil, io.EOF
	case netdmCmdStart:
		if k.monitoring {
			return nil, genltest.Error(int(unix.EAGAIN))
		}
		k.monitoring = true
		k.log = append(k.log, "start")
		return nil, io.EOF
	case netdmCmdStop:
		k.monitoring = false
		k.log = append(k.log, "stop")
		return nil, io.EOF
	}
	return nil, genltest.Error(int(unix.EOPNOTSUPP))
}

func configString(c netdmConfig) string {
	if c.Mode == netdmModePacket {
		return "packet"
	}
	return "summary"
}

// fakeEvents delivers alerts once, then times out.
type fakeEvents struct {
	joined []uint32
	alerts [][]byte
	closed bool
}

func (e *fakeEvents) JoinGroup(g uint32) error        { e.joined = append(e.joined, g); return nil }
func (e *fakeEvents) SetReadBuffer(int) error         { return nil }
func (e *fakeEvents) SetReadDeadline(time.Time) error { return nil }
func (e *fakeEvents) Close() error                    { e.closed = true; return nil }
func (e *fakeEvents) Receive() ([]genetlink.Message, []netlink.Message, error) {
	if len(e.alerts) == 0 {
		return nil, nil, os.ErrDeadlineExceeded
	}
	var out []genetlink.Message
	for _, a := range e.alerts {
		out = append(out, genetlink.Message{Header: genetlink.Header{Command: netdmCmdPacketAlert, Version: 2}, Data: a})
	}
	e.alerts = nil
	return out, nil, nil
}

func TestNetDMStartStopRestores(t *testing.T) {
	k := &fakeDropMonitor{cfg: netdmConfig{Mode: netdmModeSummary, TruncLen: 0, QueueLen: 1000}}
	ctrl := genltest.Dial(k.serve)
	ev := &fakeEvents{alerts: [][]byte{packetAlert("NETFILTER_DROP", ethernet(0x0800, ipv4UDP()))}}
	dir := t.TempDir()
	s, notes, err := startNetDM(ctrl, ev, testFamily, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 0 || !k.monitoring || k.cfg != netdmWant || len(ev.joined) != 1 || ev.joined[0] != 9 {
		t.Fatalf("after start: notes %v, monitoring %v, config %+v, joined %v", notes, k.monitoring, k.cfg, ev.joined)
	}
	if _, err := os.Stat(filepath.Join(dir, netdmStateFile)); err != nil {
		t.Errorf("no state record while monitoring: %v", err)
	}
	var drops []Drop
	if _, err := s.poll(time.Millisecond, func(d Drop) { drops = append(drops, d) }); err != nil {
		t.Fatal(err)
	}
	if len(drops) != 1 || drops[0].ReasonName != "NETFILTER_DROP" || drops[0].Packet == nil || drops[0].Packet.DstPort != 9998 {
		t.Fatalf("drops %+v", drops)
	}
	if n, err := s.poll(time.Millisecond, func(Drop) { t.Error("a drop after the last alert") }); n != 0 || err != nil {
		t.Errorf("idle poll: %d, %v", n, err)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	if k.monitoring || k.cfg.Mode != netdmModeSummary || k.cfg.QueueLen != 1000 || !ev.closed {
		t.Errorf("after close: monitoring %v, config %+v", k.monitoring, k.cfg)
	}
	if _, err := os.Stat(filepath.Join(dir, netdmStateFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state record left after close: %v", err)
	}
	want := "config-get,config packet,start,stop,config summary"
	if got := strings.Join(k.log, ","); got != want {
		t.Errorf("kernel saw %s, want %s", got, want)
	}
}

// TestNetDMBusy: another program monitors; netdiag says so and changes
// nothing.
func TestNetDMBusy(t *testing.T) {
	k := &fakeDropMonitor{cfg: netdmConfig{Mode: netdmModePacket, TruncLen: 64, QueueLen: 10}, monitoring: true}
	_, _, err := startNetDM(genltest.Dial(k.serve), &fakeEvents{}, testFamily, t.TempDir())
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("got %v, want ErrBusy", err)
	}
	if !k.monitoring || k.cfg.TruncLen != 64 || k.cfg.QueueLen != 10 {
		t.Errorf("the other program's monitor was changed: %+v, monitoring %v", k.cfg, k.monitoring)
	}
}

// TestNetDMRecoversKilledRun: a record left by a process that is gone
// means a killed netdiag left the monitor on: stop it, restore the
// settings it saved, then start normally.
func TestNetDMRecoversKilledRun(t *testing.T) {
	dir := t.TempDir()
	orig := netdmConfig{Mode: netdmModeSummary, QueueLen: 500}
	// The killed run had started monitoring with its own settings.
	k := &fakeDropMonitor{cfg: netdmWant, monitoring: true}
	gone := deadPID(t)
	rec := `{"pid":` + itoa(gone) + `,"startTime":12345,"saved":{"mode":0,"truncLen":0,"queueLen":500}}`
	if err := os.WriteFile(filepath.Join(dir, netdmStateFile), []byte(rec), 0o600); err != nil {
		t.Fatal(err)
	}
	s, notes, err := startNetDM(genltest.Dial(k.serve), &fakeEvents{}, testFamily, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "killed") {
		t.Errorf("notes %v", notes)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	if k.monitoring || k.cfg != orig {
		t.Errorf("after recovery and close: monitoring %v, config %+v, want %+v", k.monitoring, k.cfg, orig)
	}
	// A live process's record is another netdiag at work: busy.
	self := `{"pid":1,"startTime":` + itoa(int(processStart(1))) + `,"saved":{"mode":0}}`
	if err := os.WriteFile(filepath.Join(dir, netdmStateFile), []byte(self), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := startNetDM(genltest.Dial(k.serve), &fakeEvents{}, testFamily, dir); !errors.Is(err, ErrBusy) {
		t.Errorf("record of a live process: got %v, want ErrBusy", err)
	}
}

func TestNetDMNotSupported(t *testing.T) {
	old := genetlink.Family{ID: 0x20, Name: "NET_DM", Version: 1, Groups: testFamily.Groups}
	if _, _, err := startNetDM(genltest.Dial((&fakeDropMonitor{}).serve), &fakeEvents{}, old, t.TempDir()); !errors.Is(err, ErrNotSupported) {
		t.Errorf("version 1: got %v, want ErrNotSupported", err)
	}
}

// deadPID returns a PID no process has: that of a child that exited.
func deadPID(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	return p.Pid
}

func itoa(i int) string { return strconv.Itoa(i) }

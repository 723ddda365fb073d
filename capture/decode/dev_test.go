package decode

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDevWriteSynth writes the synthesized captures to $NETDIAG_SYNTH_DIR for
// inspection; it does nothing otherwise.
func TestDevWriteSynth(t *testing.T) {
	dir := os.Getenv("NETDIAG_SYNTH_DIR")
	if dir == "" {
		t.Skip("set NETDIAG_SYNTH_DIR to write the synthesized captures")
	}
	for _, s := range synthesized {
		writeSynth(t, filepath.Join(dir, s.name+".pcap"), s)
	}
}

package kpgen

import (
	"net/netip"
	"os"
	"testing"
)

func TestDumpForManualCheck(t *testing.T) {
	if os.Getenv("KPGEN_DUMP") == "" {
		t.Skip("set KPGEN_DUMP=dir")
	}
	d := os.Getenv("KPGEN_DUMP")
	svcs := LabServices(netip.MustParseAddr("198.18.0.6"))
	os.WriteFile(d+"/ipt.rules", []byte(IPTables(LabConfig(), svcs)), 0o644)
	os.WriteFile(d+"/nft.rules", []byte(NFTables(LabConfig(), svcs)), 0o644)
}

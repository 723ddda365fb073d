package cli

import (
	"golang.org/x/net/bpf"

	"github.com/netdiag/netdiag/capture/filter"
	"github.com/netdiag/netdiag/capture/pcapio"
)

func init() { compileFilter = compileCaptureFilter }

// compileCaptureFilter compiles a tcpdump expression for a live handle. On
// cooked (-i any) handles the kernel sees packets without the SLL header the
// program reads: the program is rewritten for the kernel when it can be, and
// runs in user space otherwise.
func compileCaptureFilter(expr string, lt pcapio.LinkType, snaplen int) (kernel, user []bpf.RawInstruction, err error) {
	prog, err := filter.Compile(expr, filter.LinkType(lt), uint32(snaplen))
	if err != nil {
		return nil, nil, err
	}
	if filter.UsesVLAN(expr) {
		// The kernel sees the packet without its tag: filter after putting it back.
		return nil, prog, nil
	}
	if lt == pcapio.LinkTypeLinuxSLL || lt == pcapio.LinkTypeLinuxSLL2 {
		if k, ok := filter.ForCookedSocket(prog, filter.LinkType(lt)); ok {
			return k, nil, nil
		}
		return nil, prog, nil
	}
	return prog, nil, nil
}

package cli

import (
	"golang.org/x/net/bpf"

	"github.com/netdiag/netdiag/capture/filter"
	"github.com/netdiag/netdiag/capture/pcapio"
)

func init() { compileFilter = compileCaptureFilter }

// compileCaptureFilter compiles a tcpdump expression for a live handle. On
// cooked (-i any) handles the kernel sees packets without the SLL header the
// program reads, so the program runs in user space there (until
// filter.ForCookedSocket rewrites it for the kernel).
func compileCaptureFilter(expr string, lt pcapio.LinkType, snaplen int) (kernel, user []bpf.RawInstruction, err error) {
	prog, err := filter.Compile(expr, filter.LinkType(lt), uint32(snaplen))
	if err != nil {
		return nil, nil, err
	}
	if lt == pcapio.LinkTypeLinuxSLL || lt == pcapio.LinkTypeLinuxSLL2 {
		return nil, prog, nil
	}
	return prog, nil, nil
}

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
// runs in user space otherwise. A looping program (protochain) goes to the
// kernel unrolled, and runs exactly in user space on what that passes.
func compileCaptureFilter(expr string, lt pcapio.LinkType, snaplen int) (kernel, user []bpf.RawInstruction, err error) {
	prog, err := filter.Compile(expr, filter.LinkType(lt), uint32(snaplen))
	if err != nil {
		return nil, nil, err
	}
	if filter.UsesVLAN(expr) {
		// The kernel sees the packet without its tag: filter after putting it back.
		return nil, prog, nil
	}
	kernel, exact := filter.ForKernel(prog)
	if !exact {
		user = prog
	}
	if kernel != nil && (lt == pcapio.LinkTypeLinuxSLL || lt == pcapio.LinkTypeLinuxSLL2) {
		k, ok := filter.ForCookedSocket(kernel, filter.LinkType(lt))
		if !ok {
			return nil, prog, nil
		}
		kernel = k
	}
	return kernel, user, nil
}

package capture

import (
	"fmt"

	"golang.org/x/net/bpf"

	"github.com/netdiag/netdiag/capture/filter"
	"github.com/netdiag/netdiag/capture/pcapio"
)

// ExprFilter returns the Options.Compile hook for a tcpdump expression.
// On cooked (-i any) handles the kernel sees packets without the SLL
// header the program reads: the program is rewritten for the kernel when
// it can be, and runs in user space otherwise. A filter on VLAN tags runs
// in user space, where the tag is put back. A looping program (protochain)
// goes to the kernel unrolled, and runs exactly in user space on what that
// passes.
func ExprFilter(expr string, snaplen int) func(lt pcapio.LinkType) (kernel, user []bpf.RawInstruction, err error) {
	return func(lt pcapio.LinkType) ([]bpf.RawInstruction, []bpf.RawInstruction, error) {
		prog, err := filter.Compile(expr, filter.LinkType(lt), uint32(snaplen))
		if err != nil {
			return nil, nil, fmt.Errorf("filter: %w", err)
		}
		if filter.UsesVLAN(expr) {
			return nil, prog, nil
		}
		kernel, exact := filter.ForKernel(prog)
		var user []bpf.RawInstruction
		if !exact {
			user = prog
		}
		if kernel != nil && cooked(lt) {
			k, ok := filter.ForCookedSocket(kernel, filter.LinkType(lt))
			if !ok {
				return nil, prog, nil
			}
			kernel = k
		}
		return kernel, user, nil
	}
}

// ProgramFilter returns the Options.Compile hook for a compiled program
// (tcpdump -ddd). One for a cooked link type reads the header the kernel
// does not have: it runs in user space. A loop goes to the kernel
// unrolled, and runs exactly in user space.
func ProgramFilter(prog []bpf.RawInstruction) func(lt pcapio.LinkType) (kernel, user []bpf.RawInstruction, err error) {
	return func(lt pcapio.LinkType) ([]bpf.RawInstruction, []bpf.RawInstruction, error) {
		if cooked(lt) {
			return nil, prog, nil
		}
		if k, exact := filter.ForKernel(prog); !exact {
			return k, prog, nil
		}
		return prog, nil, nil
	}
}

func cooked(lt pcapio.LinkType) bool {
	return lt == pcapio.LinkTypeLinuxSLL || lt == pcapio.LinkTypeLinuxSLL2
}

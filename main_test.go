package main

import (
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestBinaryIsStatic builds netdiag with `make` and proves it needs no dynamic
// loader and no shared library, so it runs on any node, and that it was
// built without cgo.
func TestBinaryIsStatic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "netdiag")
	cmd := exec.Command("make", "-s", "netdiag", "OUT="+bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("binary has PT_INTERP: it needs a dynamic loader")
		}
	}
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	cgo := ""
	for _, s := range bi.Settings {
		if s.Key == "CGO_ENABLED" {
			cgo = s.Value
		}
	}
	if cgo != "0" {
		t.Errorf("binary built with CGO_ENABLED=%q, want 0", cgo)
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) > 0 {
		t.Errorf("binary needs shared libraries (DT_NEEDED): %v", libs)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("netdiag version: %v\n%s", err, out)
	}
	t.Run("TrimRunsBeforeHeavyInits", func(t *testing.T) { trimRunsBeforeHeavyInits(t, bin) })
}

// trimRunsBeforeHeavyInits: internal/trim's init gives start-up pages back
// before the packages that touch the most of the binary initialise (see
// internal/trim); an import added to trim could move it after them. And
// the packages the Makefile's tags leave out stay out.
func trimRunsBeforeHeavyInits(t *testing.T, bin string) {
	cmd := exec.Command(bin, "version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("netdiag version: %v\n%s", err, out)
	}
	pos := map[string]int{}
	for i, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "init" {
			pos[f[1]] = i + 1
		}
	}
	trim := pos["github.com/netdiag/netdiag/internal/trim"]
	if trim == 0 {
		t.Fatalf("no init of internal/trim in the init trace:\n%s", out)
	}
	for _, heavy := range []string{"google.golang.org/grpc", "google.golang.org/protobuf/reflect/protoregistry", "k8s.io/cri-api/pkg/apis/runtime/v1", "github.com/miekg/dns", "github.com/urfave/cli/v2"} {
		if p := pos[heavy]; p == 0 {
			t.Errorf("no init of %s in the init trace", heavy)
		} else if p < trim {
			t.Errorf("%s initialises before internal/trim", heavy)
		}
	}
	// The trims under internal/trim/after split the rest of initialisation:
	// no stretch between two trims, or after the last, runs more than a
	// quarter of the packages that initialise.
	trims := []int{trim}
	for _, p := range []string{"regexp", "decode", "grpc"} {
		at := pos["github.com/netdiag/netdiag/internal/trim/after/"+p]
		if at == 0 {
			t.Errorf("no init of internal/trim/after/%s in the init trace: main should import it", p)
		}
		trims = append(trims, at)
	}
	sort.Ints(trims)
	trims = append(trims, len(pos)+1)
	for i := 1; i < len(trims); i++ {
		if n := trims[i] - trims[i-1]; n > len(pos)/4 {
			t.Errorf("%d of %d package inits run between two trims (trace lines %d to %d): add a point under internal/trim/after", n, len(pos), trims[i-1], trims[i])
		}
	}
	// The Makefile's build tags leave these out.
	for _, gone := range []string{"github.com/russross/blackfriday/v2", "golang.org/x/net/trace", "html/template"} {
		if pos[gone] != 0 {
			t.Errorf("%s is in the binary: the Makefile's TAGS should leave it out", gone)
		}
	}
}

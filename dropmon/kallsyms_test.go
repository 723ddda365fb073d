package dropmon

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolve(t *testing.T) {
	f, err := os.Open("testdata/kallsyms_6.18.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := Resolve(f, []uint64{
		0xffffffff81fbee6f, // nft_do_chain+0x46f
		0xffffffff81f8268d, // nf_hook_slow+0x7d
		0xffffffff81ec58fe, // neigh_invalidate+0x7e
		0xffffffffc0201010, // a module symbol
		0x1000,             // below every symbol
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint64]Symbol{
		0xffffffff81fbee6f: {Name: "nft_do_chain", Offset: 0x46f, Size: 0x690},
		0xffffffff81f8268d: {Name: "nf_hook_slow", Offset: 0x7d, Size: 0x110},
		0xffffffff81ec58fe: {Name: "neigh_invalidate", Offset: 0x7e, Size: 0x140},
		0xffffffffc0201010: {Name: "ftrace_trampoline", Module: "__builtin__ftrace", Offset: 0x10},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if s := got[0xffffffff81fbee6f].String(); s != "nft_do_chain+0x46f/0x690" {
		t.Errorf("String() = %q, want the kernel's %%pS", s)
	}
	if s := got[0xffffffffc0201010].String(); s != "ftrace_trampoline+0x10 [__builtin__ftrace]" {
		t.Errorf("String() = %q", s)
	}
}

func TestResolveHidden(t *testing.T) {
	// What a reader without CAP_SYSLOG sees under kptr_restrict=1.
	in := "0000000000000000 T _stext\n0000000000000000 T nf_hook_slow\n"
	if _, err := Resolve(strings.NewReader(in), []uint64{0xffffffff81f8268d}); !errors.Is(err, ErrSymbolsHidden) {
		t.Errorf("got %v, want ErrSymbolsHidden", err)
	}
}

func TestResolveLongLines(t *testing.T) {
	in := strings.Repeat("x", 100000) + "\nffffffff81000000 T f\n" + strings.Repeat("y", 70000)
	got, err := Resolve(strings.NewReader(in), []uint64{0xffffffff81000004})
	if err != nil || got[0xffffffff81000004].Name != "f" {
		t.Errorf("got %v, %v", got, err)
	}
}

func TestSymbolsCache(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/kallsyms"
	if err := os.WriteFile(path, []byte("ffffffff81000000 T f\nffffffff81000100 T g\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Symbols{Path: path}
	got, err := s.Lookup([]uint64{0xffffffff81000010})
	if err != nil || got[0xffffffff81000010].Name != "f" {
		t.Fatalf("got %v, %v", got, err)
	}
	// A second lookup of the same address does not read the file again.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	got, err = s.Lookup([]uint64{0xffffffff81000010})
	if err != nil || got[0xffffffff81000010].Name != "f" {
		t.Fatalf("cached lookup: %v, %v", got, err)
	}
}

package dropmon

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Symbol is a kernel text address resolved against /proc/kallsyms.
type Symbol struct {
	Name   string // function, "" when not found
	Module string // "" for the core kernel
	Offset uint64 // from the start of the function
	Size   uint64 // distance to the next text symbol; 0 when unknown
}

// String prints the symbol as the kernel's %pS does: name+0xoff/0xsize [mod].
func (s Symbol) String() string {
	if s.Name == "" {
		return ""
	}
	out := fmt.Sprintf("%s+%#x", s.Name, s.Offset)
	if s.Size > 0 {
		out += fmt.Sprintf("/%#x", s.Size)
	}
	if s.Module != "" {
		out += " [" + s.Module + "]"
	}
	return out
}

// Kallsyms bounds: /proc/kallsyms has about 150,000 lines (a few MiB) on
// a distribution kernel; the read stops at these limits instead of
// growing without end on a hostile or broken file.
const (
	maxKallsymsBytes = 64 << 20
	maxKallsymsLine  = 4096
)

// ErrSymbolsHidden says kallsyms shows zero addresses (kernel.kptr_restrict,
// or no CAP_SYSLOG), so functions cannot be named.
var ErrSymbolsHidden = errors.New("kernel addresses are hidden in /proc/kallsyms (kernel.kptr_restrict or missing CAP_SYSLOG): functions cannot be named")

// Resolve names each address with the text symbol at or below it, in one
// bounded pass over a kallsyms file. Addresses below every symbol are
// left out of the answer.
func Resolve(r io.Reader, addrs []uint64) (map[uint64]Symbol, error) {
	type best struct {
		addr uint64
		sym  Symbol
		next uint64 // lowest symbol address above the address, 0: none
		ok   bool
	}
	found := make([]best, len(addrs))
	br := bufio.NewReaderSize(io.LimitReader(r, maxKallsymsBytes), 64<<10)
	nonzero := false
	lines := 0
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// An over-long line: skip to its end.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			continue
		}
		if len(line) > 0 && len(line) <= maxKallsymsLine {
			lines++
			addr, typ, name, mod, ok := parseKallsymsLine(string(line))
			if ok && addr != 0 {
				nonzero = true
			}
			if ok && (typ == 't' || typ == 'T') {
				for i, a := range addrs {
					b := &found[i]
					switch {
					case addr <= a && (!b.ok || addr >= b.addr):
						if b.ok && addr == b.addr && b.sym.Name < name {
							continue // aliases: keep one, deterministically
						}
						b.addr, b.sym, b.ok = addr, Symbol{Name: name, Module: mod}, true
					case addr > a && (b.next == 0 || addr < b.next):
						b.next = addr
					}
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read kallsyms: %w", err)
		}
	}
	if lines > 0 && !nonzero {
		return nil, ErrSymbolsHidden
	}
	out := make(map[uint64]Symbol, len(addrs))
	for i, a := range addrs {
		b := found[i]
		if !b.ok {
			continue
		}
		b.sym.Offset = a - b.addr
		if b.next > b.addr {
			b.sym.Size = b.next - b.addr
		}
		out[a] = b.sym
	}
	return out, nil
}

// parseKallsymsLine reads "ffffffff81000000 T _stext" or
// "ffffffffc0a01000 t nft_do_chain\t[nf_tables]".
func parseKallsymsLine(line string) (addr uint64, typ byte, name, mod string, ok bool) {
	line = strings.TrimRight(line, "\n")
	f := strings.Fields(line)
	if len(f) < 3 || len(f[1]) != 1 {
		return 0, 0, "", "", false
	}
	a, err := strconv.ParseUint(f[0], 16, 64)
	if err != nil {
		return 0, 0, "", "", false
	}
	if len(f) >= 4 {
		mod = strings.Trim(f[3], "[]")
	}
	return a, f[1][0], f[2], mod, true
}

// Symbols resolves kernel addresses against /proc/kallsyms and remembers
// what it found, so that each address costs one pass over the file at most.
type Symbols struct {
	// Path is the kallsyms file; "" means /proc/kallsyms.
	Path  string
	cache map[uint64]Symbol
	err   error // sticky: hidden addresses stay hidden
}

// Lookup returns the symbols of addrs, reading the file once for those
// not seen before.
func (s *Symbols) Lookup(addrs []uint64) (map[uint64]Symbol, error) {
	if s.cache == nil {
		s.cache = map[uint64]Symbol{}
	}
	var todo []uint64
	for _, a := range addrs {
		if _, ok := s.cache[a]; !ok {
			todo = append(todo, a)
		}
	}
	if len(todo) > 0 && s.err == nil {
		path := s.Path
		if path == "" {
			path = "/proc/kallsyms"
		}
		f, err := os.Open(path)
		if err != nil {
			s.err = fmt.Errorf("open kallsyms: %w", err)
		} else {
			found, err := Resolve(f, todo)
			f.Close()
			if err != nil {
				s.err = err
			}
			for _, a := range todo {
				s.cache[a] = found[a] // zero Symbol when not found: not looked up again
			}
		}
	}
	out := make(map[uint64]Symbol, len(addrs))
	for _, a := range addrs {
		if sym, ok := s.cache[a]; ok {
			out[a] = sym
		}
	}
	return out, s.err
}

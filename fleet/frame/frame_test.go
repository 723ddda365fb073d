package frame

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte{7}, MaxPayload+10)
	w.Write(Stdout, []byte("hello\n"))
	w.Write(Stderr, []byte("oops"))
	w.WriteInt(Heartbeat, 1700000000123456789)
	w.Write(Stdout, big)
	w.WriteInt(Exit, 3)
	type got struct {
		T Type
		N int
		P string
	}
	var frames []got
	r := NewReader(&buf)
	for {
		f, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := string(f.Payload)
		if len(p) > 32 {
			p = ""
		}
		frames = append(frames, got{f.Type, len(f.Payload), p})
	}
	want := []got{
		{Stdout, 6, "hello\n"}, {Stderr, 4, "oops"}, {Heartbeat, 19, "1700000000123456789"},
		{Stdout, MaxPayload, ""}, {Stdout, 10, "\a\a\a\a\a\a\a\a\a\a"}, {Exit, 1, "3"},
	}
	if d := cmp.Diff(want, frames); d != "" {
		t.Errorf("frames (-want +got):\n%s", d)
	}
}

func TestReaderErrors(t *testing.T) {
	hello := append([]byte{'H', 0, 0, 0, byte(len(Magic))}, Magic...)
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrNoHello},
		{"shell complaint", []byte("sh: /nd/netdiag: not found\n"), ErrNoHello},
		{"no hello", []byte{'O', 0, 0, 0, 1, 'x'}, ErrNoHello},
		{"bad type", append(append([]byte{}, hello...), 'Z', 0, 0, 0, 0), ErrBadType},
		{"too large", append(append([]byte{}, hello...), 'O', 0xff, 0, 0, 0), ErrTooLarge},
		{"cut payload", append(append([]byte{}, hello...), 'O', 0, 0, 0, 9, 'a'), io.ErrUnexpectedEOF},
		{"cut header", append(append([]byte{}, hello...), 'O', 0), io.ErrUnexpectedEOF},
		{"bad exit", append(append([]byte{}, hello...), 'X', 0, 0, 0, 1, 'q'), ErrBadExitCode},
		{"end", hello, io.EOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tc.in)).Read()
			if !errors.Is(err, tc.want) {
				t.Errorf("Read: %v, want %v", err, tc.want)
			}
		})
	}
}

// FuzzReader: any input gives frames of known types within the size limit
// or an error, never a panic; a valid stream re-encodes to the same bytes.
func FuzzReader(f *testing.F) {
	var seed bytes.Buffer
	w, _ := NewWriter(&seed)
	w.Write(Stdout, []byte(`{"checks":[]}`))
	w.WriteInt(Exit, 0)
	f.Add(seed.Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in))
		var out bytes.Buffer
		ow, _ := NewWriter(&out)
		for {
			fr, err := r.Read()
			if err != nil {
				if fr.Type != 0 || fr.Payload != nil {
					t.Fatalf("error %v with a frame", err)
				}
				if err == io.EOF {
					if !bytes.HasPrefix(in, out.Bytes()) {
						t.Fatalf("re-encoded frames differ from the input")
					}
				}
				return
			}
			if !fr.Type.valid() || len(fr.Payload) > MaxPayload || fr.Type == Hello {
				t.Fatalf("bad frame %v len %d", fr.Type, len(fr.Payload))
			}
			ow.Write(fr.Type, fr.Payload)
		}
	})
}

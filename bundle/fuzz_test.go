package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzRedactJSON: CNI files are the node's bytes. RedactJSON must never
// panic; on success its output is valid JSON in which no secret-looking key
// keeps its value and no PEM block survives.
func FuzzRedactJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		out, _, err := RedactJSON(b)
		if err != nil {
			if !errors.Is(err, ErrNotJSON) || out != nil {
				t.Fatalf("error %v with output %q", err, out)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("output is not valid JSON: %q", out)
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		checkRedacted(t, v)
	})
}

func checkRedacted(t *testing.T, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if SecretKey(k) && e != Redacted {
				t.Fatalf("key %q kept its value %v", k, e)
			}
			checkRedacted(t, e)
		}
	case []any:
		for _, e := range x {
			checkRedacted(t, e)
		}
	case string:
		if secretValue(x) {
			t.Fatalf("PEM data survived: %q", x)
		}
	}
}

package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Redacted replaces every value the bundle must not carry.
const Redacted = "<redacted>"

// secretWords are parts of key names whose values are treated as secrets,
// compared lower-case with '-', '_' and '.' removed. Broad on purpose: a
// redacted path costs a support engineer less than a leaked credential.
var secretWords = []string{
	"password", "passwd", "passphrase", "token", "secret", "key", "credential",
	"certdata", "certificatedata", "cadata", "privkey", "bearer",
}

// SecretKey reports whether a configuration key or sysctl name looks like it
// holds a secret (password, token, key, secret, certificate data, …).
func SecretKey(name string) bool {
	n := strings.ToLower(name)
	n = strings.NewReplacer("-", "", "_", "", ".", "").Replace(n)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	// kubeconfig's certificate-authority-data and the like.
	return strings.Contains(n, "data") && (strings.Contains(n, "cert") || strings.Contains(n, "authority"))
}

// secretValue reports whether a string value is secret material whatever
// its key: PEM blocks (certificates, private keys).
func secretValue(s string) bool {
	return strings.Contains(s, "-----BEGIN") || strings.Contains(s, "PRIVATE KEY")
}

// ErrNotJSON means a configuration file is not valid JSON, so its secrets
// cannot be found and it is left out whole.
var ErrNotJSON = errors.New("not valid JSON")

// RedactJSON returns the JSON document b indented, in its original key order,
// with the value of every key that SecretKey matches, and every string that
// holds PEM data, replaced by Redacted. Anything but exactly one valid JSON
// value is ErrNotJSON.
func RedactJSON(b []byte) ([]byte, int, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out bytes.Buffer
	r := redactor{dec: dec, out: &out}
	if err := r.value(0); err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrNotJSON, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, 0, fmt.Errorf("%w: data after the top-level value", ErrNotJSON)
	}
	var ind bytes.Buffer
	if err := json.Indent(&ind, out.Bytes(), "", "  "); err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrNotJSON, err)
	}
	ind.WriteByte('\n')
	return ind.Bytes(), r.redacted, nil
}

type redactor struct {
	dec      *json.Decoder
	out      *bytes.Buffer
	redacted int
}

// maxDepth bounds recursion on hostile input.
const maxDepth = 200

func (r *redactor) value(depth int) error {
	if depth > maxDepth {
		return errors.New("nested too deeply")
	}
	t, err := r.dec.Token()
	if err != nil {
		return err
	}
	switch v := t.(type) {
	case json.Delim:
		switch v {
		case '{':
			r.out.WriteByte('{')
			for i := 0; r.dec.More(); i++ {
				if i > 0 {
					r.out.WriteByte(',')
				}
				kt, err := r.dec.Token()
				if err != nil {
					return err
				}
				k, ok := kt.(string)
				if !ok {
					return fmt.Errorf("object key %v is not a string", kt)
				}
				writeString(r.out, k)
				r.out.WriteByte(':')
				if SecretKey(k) {
					var skip json.RawMessage
					if err := r.dec.Decode(&skip); err != nil {
						return err
					}
					writeString(r.out, Redacted)
					r.redacted++
					continue
				}
				if err := r.value(depth + 1); err != nil {
					return err
				}
			}
			if _, err := r.dec.Token(); err != nil {
				return err
			}
			r.out.WriteByte('}')
		case '[':
			r.out.WriteByte('[')
			for i := 0; r.dec.More(); i++ {
				if i > 0 {
					r.out.WriteByte(',')
				}
				if err := r.value(depth + 1); err != nil {
					return err
				}
			}
			if _, err := r.dec.Token(); err != nil {
				return err
			}
			r.out.WriteByte(']')
		default:
			return fmt.Errorf("unexpected %v", v)
		}
	case string:
		if secretValue(v) {
			writeString(r.out, Redacted)
			r.redacted++
			return nil
		}
		writeString(r.out, v)
	case json.Number:
		r.out.WriteString(v.String())
	case bool:
		if v {
			r.out.WriteString("true")
		} else {
			r.out.WriteString("false")
		}
	case nil:
		r.out.WriteString("null")
	default:
		return fmt.Errorf("unexpected token %T", t)
	}
	return nil
}

// writeString writes s as a JSON string, leaving <, > and & as they are.
func writeString(w *bytes.Buffer, s string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	w.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

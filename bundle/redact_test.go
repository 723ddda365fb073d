package bundle

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSecretKey(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"token", true}, {"Token", true}, {"apiToken", true}, {"bearer_token", true},
		{"password", true}, {"db-passwd", true}, {"secret", true}, {"clientSecret", true},
		{"key", true}, {"private-key", true}, {"tls.key", true}, {"keyFile", true},
		{"certificate-authority-data", true}, {"client-certificate-data", true}, {"certData", true},
		{"caData", true}, {"credentials", true},
		{"net.ipv4.tcp_fastopen_key", true}, {"net.ipv6.conf.all.stable_secret", true},
		{"name", false}, {"type", false}, {"cniVersion", false}, {"kubeconfig", false},
		{"bridge", false}, {"ipam", false}, {"subnet", false}, {"mtu", false},
		{"net.ipv4.tcp_keepalive_time", false}, {"net.ipv4.ip_forward", false},
	}
	for _, tt := range tests {
		if got := SecretKey(tt.name); got != tt.want {
			t.Errorf("SecretKey(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRedactJSON(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     string
		redacted int
	}{
		{
			name: "conflist",
			in: `{"cniVersion":"0.4.0","name":"k8s","plugins":[{"type":"bridge","bridge":"cbr0","mtu":1450,
				"ipam":{"type":"host-local","ranges":[[{"subnet":"198.18.0.0/24"}]]}},
				{"type":"vendor","token":"s3cr3t","auth":{"password":"hunter2","user":"bob"},"enabled":true,"x":null}]}`,
			want: `{
  "cniVersion": "0.4.0",
  "name": "k8s",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cbr0",
      "mtu": 1450,
      "ipam": {
        "type": "host-local",
        "ranges": [
          [
            {
              "subnet": "198.18.0.0/24"
            }
          ]
        ]
      }
    },
    {
      "type": "vendor",
      "token": "<redacted>",
      "auth": {
        "password": "<redacted>",
        "user": "bob"
      },
      "enabled": true,
      "x": null
    }
  ]
}
`,
			redacted: 2,
		},
		{
			name:     "secret object and number",
			in:       `{"tls":{"key":{"data":"abc","more":[1,2]},"cert":"ok"},"apiKey":12345678901234567890}`,
			want:     "{\n  \"tls\": {\n    \"key\": \"<redacted>\",\n    \"cert\": \"ok\"\n  },\n  \"apiKey\": \"<redacted>\"\n}\n",
			redacted: 2,
		},
		{
			name:     "pem value under any key",
			in:       `{"ca":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n","list":["-----BEGIN RSA PRIVATE KEY-----"]}`,
			want:     "{\n  \"ca\": \"<redacted>\",\n  \"list\": [\n    \"<redacted>\"\n  ]\n}\n",
			redacted: 2,
		},
		{
			name: "escapes kept",
			in:   `{"name":"a\"b\u00e9<>"}`,
			want: "{\n  \"name\": \"a\\\"b\u00e9<>\"\n}\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n, err := RedactJSON([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("RedactJSON (-want +got):\n%s", diff)
			}
			if n != tt.redacted {
				t.Errorf("redacted %d values, want %d", n, tt.redacted)
			}
			if !json.Valid(got) {
				t.Errorf("output is not valid JSON")
			}
		})
	}
}

func TestRedactJSONRejects(t *testing.T) {
	for _, in := range []string{
		``, `{`, `{"token": "s3cr3t"`, `{"a":1} {"b":2}`, `{"a":1}x`, `[1,]`, `{"token" "x"}`,
		`# comment` + "\n" + `{"token":"s3cr3t"}`, strings.Repeat("[", 300) + strings.Repeat("]", 300),
	} {
		out, _, err := RedactJSON([]byte(in))
		if !errors.Is(err, ErrNotJSON) {
			t.Errorf("RedactJSON(%q) = %q, %v; want ErrNotJSON", in, out, err)
		}
		if out != nil {
			t.Errorf("RedactJSON(%q) returned output with an error", in)
		}
	}
}

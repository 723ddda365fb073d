module github.com/netdiag/netdiag

go 1.26.8

require (
	github.com/cloudflare/ipvs v0.11.0
	github.com/florianl/go-conntrack v0.7.0
	github.com/google/go-cmp v0.7.0
	github.com/google/nftables v0.2.0
	github.com/gopacket/gopacket v1.3.1
	github.com/mdlayher/genetlink v1.3.1
	github.com/mdlayher/netlink v1.7.2
	github.com/miekg/dns v1.1.62
	github.com/urfave/cli/v2 v2.27.5
	golang.org/x/net v0.62.0
	golang.org/x/sys v0.49.0
	google.golang.org/grpc v1.65.0
	k8s.io/cri-api v0.31.0
)

require (
	github.com/kr/text v0.2.0 // indirect
	github.com/rogpeppe/go-internal v1.13.1 // indirect
	github.com/stretchr/testify v1.10.0 // indirect
)

require (
	github.com/cpuguy83/go-md2man/v2 v2.0.5 // indirect
	github.com/gogo/protobuf v1.3.2 // indirect
	github.com/josharian/native v1.1.0 // indirect
	github.com/mdlayher/socket v0.5.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20200410134404-eec4a21b6bb0 // indirect
	github.com/russross/blackfriday/v2 v2.1.0 // indirect
	github.com/tj/go-spin v1.1.0 // indirect
	github.com/xlab/c-for-go v0.0.0-20230906092656-a1822f0a09c1 // indirect
	github.com/xlab/pkgconfig v0.0.0-20170226114623-cea12a0fd245 // indirect
	github.com/xrash/smetrics v0.0.0-20240521201337-686a1a2994c1 // indirect
	golang.org/x/mod v0.41.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	golang.org/x/tools v0.51.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20240701130421-f6361c86f094 // indirect
	google.golang.org/protobuf v1.34.2 // indirect
	gopkg.in/yaml.v2 v2.4.0 // indirect
	modernc.org/cc/v4 v4.1.0 // indirect
	modernc.org/mathutil v1.5.0 // indirect
	modernc.org/opt v0.1.3 // indirect
	modernc.org/strutil v1.1.3 // indirect
	modernc.org/token v1.0.1 // indirect
)

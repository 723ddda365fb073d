#!/usr/bin/env bash
# Installs the Debian packages netdiag's tests and lab scripts use, if missing.
# netdiag itself needs none of them on a node.
set -euo pipefail
pkgs=(make iproute2 iptables nftables conntrack tcpdump tshark net-tools ethtool
      containerd runc containernetworking-plugins busybox-static procps psmisc util-linux iputils-ping jq curl bc)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
	echo "deps: missing Debian packages: ${missing[*]} (run as root on Debian to install them)" >&2
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

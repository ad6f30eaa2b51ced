#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages lvslab runs inside its labs. The guest
# kernel and qemu are vm/provision.sh's business.
set -euo pipefail
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
# fonts-wqy-microhei: a CJK font (1.6 MB, GB2312 and more), so that the
# report's headless-Chromium check draws the documents' Chinese section
# names (§一, §二 …) instead of boxes.
for pkg in iproute2 keepalived ipvsadm nftables iputils-arping tcpdump tshark wrk curl nginx procps chromium fonts-wqy-microhei; do
  have "$pkg" || need+=("$pkg")
done
# The guest kernel is resolved through apt-cache (vm/provision.sh), which
# needs package lists even when nothing here is missing.
lists_missing() { ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; }
if [ ${#need[@]} -eq 0 ]; then
  if command -v apt-get >/dev/null && lists_missing; then apt-get update -qq; fi
  echo "lvslab: deps: every package is installed"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "lvslab: deps: not a Debian/Ubuntu host; install: ${need[*]}" >&2
  exit 1
fi
echo "lvslab: deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# nginx: the labs run their own instances, inside their namespaces, with
# configurations in /run/lvslab; the package's system service is not theirs.
# tshark asks whether non-root users may capture; answer no, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "lvslab: deps: done"

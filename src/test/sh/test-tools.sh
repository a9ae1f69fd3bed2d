#!/usr/bin/env bash
# Run by `mvn verify` (and `mvn test`) before anything is built: the end-to-end tests drive real
# programs from Debian's packages. A missing one is installed when this user may (root, or sudo
# without a password), saying what it installs; otherwise the build stops here, with one line naming
# what to install. Nothing else on the machine is touched.
set -euo pipefail

# package -> the program the tests run
packages=(chromium chromium-driver nginx openssl iptables iproute2)
programs=(/usr/bin/chromium /usr/bin/chromedriver /usr/sbin/nginx /usr/bin/openssl /usr/sbin/iptables /usr/sbin/ip)

missing=()
for i in "${!packages[@]}"; do
  [ -x "${programs[$i]}" ] || missing+=("${packages[$i]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "groupcast tests: install the Debian packages ${missing[*]} (or their equivalents at ${programs[*]}), then run the tests again" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "groupcast tests: missing ${missing[*]}: run 'sudo apt-get install ${missing[*]}', then the tests again" >&2
  exit 1
fi

echo "groupcast tests: installing ${missing[*]} (Debian packages the end-to-end tests run)"
log=$(mktemp)
if ! { "${sudo[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"; } >"$log" 2>&1; then
  echo "groupcast tests: 'apt-get install ${missing[*]}' failed: $(tail -n 1 "$log")" >&2
  exit 1
fi
rm -f "$log"
for i in "${!packages[@]}"; do
  if [ ! -x "${programs[$i]}" ]; then
    echo "groupcast tests: ${programs[$i]} is still missing after installing ${packages[$i]}: reinstall it (apt-get install --reinstall ${packages[$i]})" >&2
    exit 1
  fi
done

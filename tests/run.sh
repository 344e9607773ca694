#!/usr/bin/env bash
# The test command: installs the Debian tools the tests drive (curl, openssl and swaks as real clients;
# redis-server, the shared stick table store; chromium, for the stats page; haproxy, the reference the HTTP
# parser is compared with; gss-ntlmssp, the NTLM behind the CAS fakes' and the clients' real sign-ins; systemd,
# whose systemd-analyze checks the unit in deploy/systemd), then runs every test. A missing tool fails here, loudly,
# rather than skipping a test.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v curl >/dev/null || need+=(curl)
command -v redis-server >/dev/null || need+=(redis-server)
command -v openssl >/dev/null || need+=(openssl)
command -v swaks >/dev/null || need+=(swaks)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/sbin/haproxy ] || need+=(haproxy)
[ -f /etc/gss/mech.d/mech.ntlmssp.conf ] || need+=(gss-ntlmssp)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v setpriv >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing ${need[*]}"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

# A thousand concurrent layer-4 connections hold four thousand sockets in the test process.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 8192 ]; then
    echo "tests/run.sh: the open-file limit is $(ulimit -n); the layer-4 tests need 8192 (raise the hard limit)" >&2
    exit 1
fi

dotnet format ExchangeProxy.sln --verify-no-changes
dotnet test ExchangeProxy.sln --logger "console;verbosity=normal" "$@"

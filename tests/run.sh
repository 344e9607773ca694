#!/usr/bin/env bash
# The test command: installs the Debian tools the tests drive (curl, as a real client; redis-server, the
# shared stick table store), then runs every test. A missing tool fails here, loudly, rather than
# skipping a test.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v curl >/dev/null || need+=(curl)
command -v redis-server >/dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing ${need[*]}"
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

dotnet format ExchangeProxy.sln --verify-no-changes
dotnet test ExchangeProxy.sln --logger "console;verbosity=normal" "$@"

#!/usr/bin/env bash
# Builds a real Kubernetes control plane (kube-apiserver, kube-controller-manager, kube-scheduler 1.20.2) from
# Debian's `kubernetes` source package, with Debian's Go, and installs Debian's etcd. Unattended on a fresh machine;
# the binaries are cached outside the clone, keyed by the source version and our patch, so a second run is instant.
#
# Prints the directory that holds the binaries on its last line of stdout; everything else goes to stderr.
#   RESTORE_HOOKS_REAL_CLUSTER_CACHE  the cache directory (default ~/.cache/restore-hooks/real-cluster)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="1.20.5+really1.20.2-1.1+deb12u1"
patch_file="$here/reflect2-go118.patch"
cache="${RESTORE_HOOKS_REAL_CLUSTER_CACHE:-$HOME/.cache/restore-hooks/real-cluster}"
key="$version-$(sha256sum "$patch_file" | cut -c1-12)"
bin="$cache/kubernetes-$key/bin"
binaries=(kube-apiserver kube-controller-manager kube-scheduler)

log() { echo "real-cluster build: $*" >&2; }
have_binaries() {
  for b in "${binaries[@]}"; do [ -x "$bin/$b" ] || return 1; done
}

mkdir -p "$cache"
exec 9>"$cache/.build.lock"
flock 9 # one build at a time; a second caller waits and then reuses the first one's binaries

if have_binaries && command -v etcd >/dev/null; then
  echo "$bin"
  exit 0
fi

apt_install() {
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Debian's Go 1.19, the tools the Kubernetes makefiles use, dpkg-source, and etcd 3.4. Installing etcd-server must
# not leave a system etcd running on 2379: our clusters pick their own ports, but keep the machine clean.
apt_install golang-go rsync jq dpkg-dev etcd-server
command -v systemctl >/dev/null && systemctl disable --now etcd >/dev/null 2>&1 || true

if have_binaries; then
  echo "$bin"
  exit 0
fi

# apt-get source needs a deb-src entry: the machine's own deb entries (same URIs, suites and keyring) as deb-src.
src_list=/etc/apt/sources.list.d/restore-hooks-deb-src.sources
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  debian_sources=$(grep -ls 'debian' /etc/apt/sources.list.d/*.sources | head -n 1 || true)
  if [ -n "$debian_sources" ]; then
    sed -e 's/^Types: deb$/Types: deb-src/' "$debian_sources" >"$src_list"
  elif grep -qs '^deb ' /etc/apt/sources.list; then
    grep '^deb ' /etc/apt/sources.list | sed -e 's/^deb /deb-src /' >"${src_list%.sources}.list"
  else
    log "no Debian apt source found to derive a deb-src entry from"
    exit 1
  fi
  log "added deb-src entries ($src_list)"
fi
apt-get update -qq >&2

work="$cache/work-$key"
rm -rf "$work"
mkdir -p "$work"
log "fetching Debian's kubernetes source package $version"
(cd "$work" && apt-get source --download-only "kubernetes=$version" >&2)
# dpkg-source unpacks the upstream tree (vendor/ included) and applies Debian's own patches.
(cd "$work" && dpkg-source --no-check -x "kubernetes_$version.dsc" tree >&2)
tree="$work/tree"
log "applying $(basename "$patch_file")"
patch -d "$tree" -p1 <"$patch_file" >&2

# Debian's build entry point: a GOPATH whose k8s.io/kubernetes is the tree, then the upstream makefile.
mkdir -p "$tree/.go/src/k8s.io"
ln -sfn ../../.. "$tree/.go/src/k8s.io/kubernetes"
log "building ${binaries[*]} (about 10 minutes on 2 CPUs)"
start=$(date +%s)
(
  cd "$tree"
  export GOPATH="$tree/.go" CGO_ENABLED=0 GOFLAGS= GOCACHE="$cache/go-build"
  export PATH="/usr/lib/go/bin:$PATH"
  make WHAT="${binaries[*]/#/cmd/}" >&2
)
mkdir -p "$bin.tmp"
for b in "${binaries[@]}"; do cp "$tree/_output/bin/$b" "$bin.tmp/$b"; done
rm -rf "$bin"
mv "$bin.tmp" "$bin"
rm -rf "$work"
log "built in $(($(date +%s) - start)) s: $bin"
echo "$bin"

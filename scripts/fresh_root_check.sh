#!/usr/bin/env bash
# Proves the README on a fresh machine. Makes a minimal Debian 12 root with debootstrap, clones
# this checkout (its committed HEAD) into it, and runs there, as a new user would, the README's
# set-up-and-build command (without its last step, the model download, which needs the Hub) and
# then the README's test command. The commands are read from README.md, so they cannot drift.
#
#   sudo bash scripts/fresh_root_check.sh [ROOT]
#
# ROOT defaults to a new folder under /var/tmp, removed at the end (KEEP_ROOT=1 keeps it).
# Needs root (debootstrap, chroot, mounts) and the host's network; installs debootstrap with apt
# when it is missing. .ci/run calls this.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || exec sudo --preserve-env=KEEP_ROOT bash "$0" "$@"
if ! command -v debootstrap >/dev/null || ! command -v git >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap git ca-certificates
fi

# The README's command after the marker line `<!-- fresh-root: NAME -->` (first line of the
# code block that follows it).
readme_command() {
  awk -v marker="<!-- fresh-root: $1 -->" '
    $0 == marker { found = 1; next }
    found && /^```/ { inside = !inside; if (!inside) exit; next }
    found && inside { print; exit }' "$repo/README.md"
}
setup_and_build=$(readme_command setup-and-build)
test_command=$(readme_command test)
[ -n "$setup_and_build" ] && [ -n "$test_command" ] || { echo "README.md: fresh-root markers not found" >&2; exit 1; }
# Drop the steps that run the main job (they download a model from the Hub).
setup_and_build=$(echo "$setup_and_build" | sed -E 's/ && \.\/build\/lmpipe [^&]*$//')

# The Debian mirror this host's apt uses for bookworm (deb822 .sources or one-line sources.list).
host_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
      { uris = ""; suites = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris) }
          if ($i ~ /^Suites:/) { suites = " " $i " " }
        }
        if (suites ~ /[ \t]bookworm[ \t]/) { split(uris, u, " "); print u[1]; exit } }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -E 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }'
  done
}
mirror=$(host_mirror | head -n1)
[ -n "$mirror" ] || { echo "no bookworm mirror in this host's apt sources" >&2; exit 1; }

if [ -n "${1:-}" ]; then root=$1 remove_root=0; else root=$(mktemp -d /var/tmp/lmpipe-fresh-root.XXXXXX) remove_root=1; fi
[ "${KEEP_ROOT:-0}" != 1 ] || remove_root=0
cleanup() {
  # Unmount before anything else; never delete while the host's /dev or /proc is mounted inside.
  umount -R "$root/dev" 2>/dev/null || true
  umount "$root/proc" 2>/dev/null || true
  if [ "$remove_root" = 1 ] && ! grep -q " $root/" /proc/mounts; then
    rm -rf --one-file-system "$root"
  fi
}
trap cleanup EXIT

echo "== debootstrap --variant=minbase bookworm $root ($mirror)"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
  { tail -n 30 "$root.debootstrap.log" >&2; exit 1; }
rm -f "$root.debootstrap.log"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
mount --bind /proc "$root/proc"
git clone --quiet "$repo" "$root/root/lmpipe"

in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "cd /root/lmpipe && $1"
}
echo "== in the fresh root: $setup_and_build"
in_root "$setup_and_build"
echo "== in the fresh root: $test_command"
in_root "$test_command"

#!/usr/bin/env bash
# tools/setup.sh: bring a fresh Debian 12 machine up to what SGP builds need.
#
# Contract:
#   - Run as root (only needed when a Debian package is missing), non-interactive, idempotent.
#   - Step 1 installs the missing Debian packages in PACKAGES; `apt-get update` runs only if
#     something is missing, so a second run does no network I/O for this step.
#   - Step 2 fetches Debian's `nanopb` SOURCE package (DESIGN.md D8) through a private apt
#     configuration under $REPO/.deps/apt; the system's apt sources are never touched. The orig
#     tarball is pinned by sha256 and unpacked to exactly $REPO/.deps/nanopb-0.4.7 (the path
#     CMakeLists.txt's SGP_NANOPB_SRC expects for the `fuzz` preset). Skipped when the tarball
#     still matches the pin and the unpacked runtime files match the tarball.
#   - Nothing else is downloaded. Prints a one-line summary at the end.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS="$REPO/.deps"
APTDIR="$DEPS/apt"

NANOPB_VERSION="0.4.7"
NANOPB_ORIG="nanopb_${NANOPB_VERSION}.orig.tar.gz"
NANOPB_SHA256="e1d89b166367a3c42d42311bdc2ed57ff78f86aede9a66828516e45490d48c81"
NANOPB_DIR="$DEPS/nanopb-${NANOPB_VERSION}"
# The files CMake compiles (plus headers); used to check an existing unpacked tree is pristine.
NANOPB_RUNTIME=(pb.h pb_common.c pb_common.h pb_decode.c pb_decode.h pb_encode.c pb_encode.h)

# Every name here was checked with `apt-cache policy` on Debian 12 (bookworm); all exist.
PACKAGES=(
  build-essential cmake pkg-config
  clang llvm lld libclang-rt-14-dev clang-format clang-tidy cppcheck valgrind
  libsodium-dev nanopb libnanopb-dev libcriterion-dev libjansson-dev libinih-dev
  protobuf-c-compiler libprotobuf-c-dev
  spin gnuplot-nox python3 python3-protobuf
  afl++ tshark zip unzip python3-jsonschema
  dpkg-dev xz-utils
)

export DEBIAN_FRONTEND=noninteractive
START=$SECONDS

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

# Prints the names among "$@" that dpkg reports as installed (one dpkg-query call: fast reruns).
installed_among() {
  dpkg-query -W -f='${Package}\t${Status}\n' "$@" 2>/dev/null |
    awk -F'\t' '$2 == "install ok installed" { print $1 }' || true
}

missing_among() {
  local -A have=()
  local p
  while read -r p; do have["$p"]=1; done < <(installed_among "$@")
  for p in "$@"; do [[ -n "${have[$p]:-}" ]] || printf '%s\n' "$p"; done
}

# ---- 1. Debian packages -------------------------------------------------------------------------
mapfile -t missing < <(missing_among "${PACKAGES[@]}")

if ((${#missing[@]})); then
  [[ $EUID -eq 0 ]] || die "packages missing (${missing[*]}) and not root; re-run as root"
  log "installing: ${missing[*]}"
  if printf '%s\n' "${missing[@]}" | grep -qx tshark; then
    # wireshark-common asks whether non-root users may capture; answer it up front so
    # the install never prompts (and stays non-setuid).
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  fi
  apt-get update -q
  apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
  mapfile -t still < <(missing_among "${missing[@]}")
  ((${#still[@]} == 0)) || die "still not installed after apt-get install: ${still[*]}"
fi

# ---- 2. nanopb source (DESIGN.md D8) ------------------------------------------------------------
#
# Debian patches: decided NOT to apply any. Debian's nanopb 0.4.7-2 is "3.0 (quilt)" but its
# debian.tar.xz has no debian/patches at all, so libnanopb-dev's pb_*.c are the pristine orig
# files and building the pinned orig tarball gives the same code. The one Debian build difference
# is in debian/rules: `DEB_CFLAGS_MAINT_APPEND=-DPB_ENABLE_MALLOC`, i.e. the prebuilt
# libprotobuf-nanopb.a has the malloc decode paths compiled in. We deliberately do not define it:
# our schema uses no pointer fields (DESIGN.md D8 advisories) and the installed pb.h leaves it
# undefined, so struct layouts are identical either way. If a later Debian revision (e.g. a
# bookworm security update) ships patches touching the runtime, fetch_nanopb warns loudly so a
# human decides; they are not applied silently, because the orig tarball is what we pin.

sha_ok() { [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$NANOPB_SHA256" ]]; }

# True if the unpacked runtime files are byte-identical to those in the pinned tarball.
tree_ok() {
  [[ -f "$NANOPB_DIR/pb_decode.c" ]] || return 1
  local tmp top f rc=0
  top="$(tarball_top)" || return 1
  tmp="$(mktemp -d "$DEPS/.check.XXXXXX")"
  tar -xzf "$DEPS/$NANOPB_ORIG" -C "$tmp" --no-same-owner "${NANOPB_RUNTIME[@]/#/$top/}" || rc=1
  for f in "${NANOPB_RUNTIME[@]}"; do
    ((rc)) || cmp -s "$tmp/$top/$f" "$NANOPB_DIR/$f" || rc=1
  done
  rm -rf "$tmp"
  return $rc
}

# The tarball's single top-level directory (upstream uses nanopb-0.4.7, but do not assume it).
tarball_top() {
  local tops
  tops="$(tar -tzf "$DEPS/$NANOPB_ORIG" | sed -e 's,^\./,,' -e 's,/.*,,' | sort -u)"
  [[ -n "$tops" && "$(wc -l <<<"$tops")" -eq 1 ]] || die "$NANOPB_ORIG: expected one top-level dir, got: $tops"
  printf '%s\n' "$tops"
}

# Writes deb-src entries derived from the system's Debian sources into $APTDIR/sources.list.d.
write_private_sources() {
  local parts="$APTDIR/sources.list.d"
  rm -rf "$parts" && mkdir -p "$parts"
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    # deb822: same stanzas (URIs, Suites, Components, Signed-By), only the type changes.
    sed -E 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      >"$parts/debian-src.sources"
  elif [[ -f /etc/apt/sources.list ]]; then
    # one-line format: turn every active `deb` line into `deb-src` (existing deb-src lines would
    # only duplicate these).
    sed -n -E 's/^[[:space:]]*deb[[:space:]]+/deb-src /p' /etc/apt/sources.list | sort -u \
      >"$parts/debian-src.list"
    [[ -s "$parts/debian-src.list" ]] || die "no 'deb' lines in /etc/apt/sources.list"
  else
    die "no /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list to derive deb-src from"
  fi
}

fetch_nanopb() {
  [[ $EUID -eq 0 ]] || log "not root: private apt fetch may warn about the _apt sandbox"
  write_private_sources
  mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
  # Private sources, lists and cache; SourceList=/dev/null hides the system's sources.list.
  local apt_opts=(
    -o "Dir::Etc::SourceParts=$APTDIR/sources.list.d"
    -o "Dir::Etc::SourceList=/dev/null"
    -o "Dir::State::Lists=$APTDIR/lists"
    -o "Dir::Cache=$APTDIR/cache"
  )
  log "apt-get update (private deb-src lists in .deps/apt)"
  apt-get -q "${apt_opts[@]}" update
  log "apt-get source --download-only nanopb (into .deps/)"
  # APT::Sandbox::User=root: .deps is root-owned, so apt would fall back to root anyway, with a
  # warning; saying it explicitly keeps the log clean. Integrity comes from the signed Sources
  # index (apt checks the .dsc hashes) and from our own sha256 pin below.
  (cd "$DEPS" && apt-get -q "${apt_opts[@]}" -o APT::Sandbox::User=root \
    source --download-only nanopb)

  local debtar patched
  debtar="$(find "$DEPS" -maxdepth 1 -name "nanopb_${NANOPB_VERSION}-*.debian.tar.*" | sort -V | tail -n1)"
  if [[ -n "$debtar" ]]; then
    patched="$(tar -tf "$debtar" | grep -E '^debian/patches/.' || true)"
    if [[ -n "$patched" ]] && tar -xOf "$debtar" --wildcards 'debian/patches/*' 2>/dev/null |
      grep -E '^\+\+\+ .*pb_(decode|encode|common)\.[ch]' >/dev/null; then
      log "WARNING: $(basename "$debtar") patches the nanopb runtime; the fuzz build uses the"
      log "WARNING: pristine orig tarball, which now differs from libnanopb-dev. Review:"
      printf '%s\n' "$patched" >&2
      NANOPB_NOTE=" (WARNING: Debian patches runtime, not applied)"
    fi
  fi
}

extract_nanopb() {
  local tmp top
  top="$(tarball_top)"
  tmp="$(mktemp -d "$DEPS/.extract.XXXXXX")"
  tar -xzf "$DEPS/$NANOPB_ORIG" -C "$tmp" --no-same-owner --no-same-permissions
  rm -rf "$NANOPB_DIR"
  mv "$tmp/$top" "$NANOPB_DIR"
  rm -rf "$tmp"
  [[ -f "$NANOPB_DIR/pb_decode.c" ]] || die "extracted tree lacks pb_decode.c"
}

mkdir -p "$DEPS"
rm -rf "$DEPS"/.check.* "$DEPS"/.extract.*  # leftovers of an interrupted run
NANOPB_NOTE=""
if sha_ok "$DEPS/$NANOPB_ORIG" && tree_ok; then
  nanopb_state="cached"
else
  if sha_ok "$DEPS/$NANOPB_ORIG"; then
    nanopb_state="re-extracted"
  else
    rm -f "$DEPS/$NANOPB_ORIG"
    fetch_nanopb
    if ! sha_ok "$DEPS/$NANOPB_ORIG"; then
      got="$(sha256sum "$DEPS/$NANOPB_ORIG" 2>/dev/null | cut -d' ' -f1 || echo "missing")"
      rm -f "$DEPS/$NANOPB_ORIG"
      die "$NANOPB_ORIG sha256 mismatch: got $got, want $NANOPB_SHA256 (file deleted)"
    fi
    nanopb_state="fetched"
  fi
  extract_nanopb
  tree_ok || die "extracted nanopb tree does not match $NANOPB_ORIG"
fi

# ---- 3. summary ---------------------------------------------------------------------------------
if ((${#missing[@]})); then pkgs="installed ${#missing[@]} (${missing[*]})"; else pkgs="all present"; fi
echo "setup: OK in $((SECONDS - START))s; packages: ${#PACKAGES[@]} checked, $pkgs;" \
  "nanopb ${NANOPB_VERSION} source ${nanopb_state} at .deps/nanopb-${NANOPB_VERSION}${NANOPB_NOTE}"

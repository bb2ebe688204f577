#!/usr/bin/env bash
# build.sh — release builds of baoxue and its Debian packages.
#
#   deploy/build.sh                 the four binaries and a .deb per Linux target
#   deploy/build.sh binaries        only the binaries (what CI runs)
#   deploy/build.sh deb [ARCH...]   .debs for ARCH (amd64 arm64 loong64; default all three)
#
# Targets: linux/amd64, linux/arm64, linux/loong64 (Loongson), windows/amd64,
# all with CGO_ENABLED=0. Output goes to $OUT (default: dist/ at the top of the
# repository): baoxue-linux-amd64 …, baoxue-windows-amd64.exe and
# baoxue_VERSION_ARCH.deb. VERSION defaults to 0.0~gitDATE.REV from the last
# commit. Needs go, and dpkg-deb for the packages. The package's files are in
# deploy/debian; README.md, "Installing", says how to use it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$ROOT/dist}
TARGETS="linux/amd64 linux/arm64 linux/loong64 windows/amd64"
DEB_ARCHES="amd64 arm64 loong64"

die() { echo "build.sh: $*" >&2; exit 1; }

version() {
	if [ -n "${VERSION:-}" ]; then
		echo "$VERSION"
	elif git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		echo "0.0~git$(git -C "$ROOT" log -1 --format=%cd --date=format:%Y%m%d).$(git -C "$ROOT" rev-parse --short=12 HEAD)"
	else
		echo "0.0~dev"
	fi
}

# binary OS ARCH: cross-compile one target; prints the file's path.
binary() {
	local os=$1 arch=$2 ext=""
	[ "$os" = windows ] && ext=.exe
	local out="$OUT/baoxue-$os-$arch$ext"
	(cd "$ROOT" && GOOS=$os GOARCH=$arch CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out" ./cmd/baoxue) ||
		die "go build for $os/$arch failed"
	echo "$out"
}

binaries() {
	local t failed=""
	for t in $TARGETS; do
		binary "${t%/*}" "${t#*/}" || failed="$failed $t"
	done
	[ -z "$failed" ] || die "these targets do not build:$failed"
}

# deb ARCH: the Debian package for linux/ARCH (GOARCH and Debian name agree).
deb() {
	local arch=$1 ver bin stage
	command -v dpkg-deb >/dev/null || die "dpkg-deb is not installed (apt-get install dpkg)"
	case " $DEB_ARCHES " in *" $arch "*) ;; *) die "no Debian package for $arch (want one of: $DEB_ARCHES)" ;; esac
	ver=$(version)
	bin=$(binary linux "$arch")
	stage=$(mktemp -d)
	chmod 0755 "$stage" # the package's /
	local src=$ROOT/deploy/debian
	install -D -m 0755 "$bin" "$stage/usr/bin/baoxue"
	install -D -m 0640 "$src/baoxue.conf" "$stage/etc/baoxue/baoxue.conf"
	install -D -m 0644 "$src/baoxue.service" "$stage/lib/systemd/system/baoxue.service"
	install -D -m 0644 "$ROOT/README.md" "$stage/usr/share/doc/baoxue/README.md"
	install -d -m 0700 "$stage/var/lib/baoxue"
	install -d -m 0755 "$stage/DEBIAN"
	install -m 0755 "$src/postinst" "$src/prerm" "$src/postrm" "$stage/DEBIAN/"
	echo /etc/baoxue/baoxue.conf >"$stage/DEBIAN/conffiles"
	cat >"$stage/DEBIAN/control" <<CONTROL
Package: baoxue
Version: $ver
Architecture: $arch
Maintainer: baoxue <dev@baoxue.local>
Section: misc
Priority: optional
Depends: passwd
Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)
Description: district register of school-age children (控辍保学)
 One binary runs a node of a district's register of school-age children:
 the register in bbolt, replicated between the bureau's and the townships'
 nodes with Raft, and a web UI (simplified Chinese, English selectable).
 The service reads /etc/baoxue/baoxue.conf and keeps its data in
 /var/lib/baoxue.
CONTROL
	local deb="$OUT/baoxue_${ver}_$arch.deb"
	dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null || die "dpkg-deb failed for $arch"
	rm -rf "$stage"
	echo "$deb"
}

mkdir -p "$OUT"
case "${1:-all}" in
binaries) binaries ;;
deb)
	shift
	for a in ${*:-$DEB_ARCHES}; do deb "$a"; done
	;;
all)
	binaries
	for a in $DEB_ARCHES; do deb "$a"; done
	;;
*) die "unknown target ${1} (want: all, binaries, deb [ARCH...])" ;;
esac

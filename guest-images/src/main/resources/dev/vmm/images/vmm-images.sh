#!/usr/bin/env bash
# vmm guest images: builds bootable 32-bit guests from Debian bookworm i386 packages, without
# root, loop mounts or the host's i386 dpkg architecture.
#
#   vmm-images.sh build [--force] [NAME...]   build the named images (default: all) unless up to date
#   vmm-images.sh names                       the recipe names, one a line
#   vmm-images.sh dir                         the cache directory
#
# Recipes:
#   tiny-i386  linux-image-686's kernel (vmlinuz) and an initramfs (initrd.img: busybox-static, the
#              disk and FAT modules, an /init that gives a shell on the serial console)
#   disk-i386  disk.img: a raw MBR disk, one FAT16 partition with SYSLINUX, the same kernel and
#              initramfs, and hello.txt for the guest to read
#
# Chain of trust: the suite's InRelease is checked with gpgv against debian-archive-keyring, the
# i386 Packages index against the SHA256 in InRelease, every .deb against the SHA256 in the index.
#
# Environment:
#   VMM_IMAGES_DIR               the cache (default ${XDG_CACHE_HOME:-$HOME/.cache}/vmm/images)
#   VMM_DEBIAN_MIRROR            Debian archive URI (default: from /etc/apt/sources*, else deb.debian.org)
#   VMM_DEBIAN_SECURITY_MIRROR   security archive URI (same defaults)
#   VMM_DEBIAN_KEYRING           keyring for gpgv (default /usr/share/keyrings/debian-archive-keyring.gpg)
#
# Each image lives in $VMM_IMAGES_DIR/NAME/ with a manifest (Java properties syntax): the packages
# and their versions, the SHA256 of every input and output, the recipe's own SHA256 and the build
# date. An image is up to date when its manifest names this script's SHA256 and every output still
# has its recorded SHA256; then the build is skipped. Files are written to temporary names and
# renamed; the manifest is written last.
set -euo pipefail
shopt -s inherit_errexit

readonly FORMAT=1
readonly RELEASE=bookworm
readonly RECIPES=(tiny-i386 disk-i386)
readonly APPEND="console=ttyS0"
# Modules the board needs, with the kernel option that builds each: PIIX IDE, the SCSI disk layer,
# FAT with the code pages mount uses, and the CRC driver sd_mod's T10 checksums ask for.
readonly MODULES=(
    ata_piix:ATA_PIIX ata_generic:ATA_GENERIC libata:ATA sd_mod:BLK_DEV_SD
    vfat:VFAT_FS fat:FAT_FS nls_cp437:NLS_CODEPAGE_437 nls_ascii:NLS_ASCII
    nls_iso8859_1:NLS_ISO8859_1 nls_utf8:NLS_UTF8 crct10dif_generic:CRYPTO_CRCT10DIF
)
# What the initramfs cannot do without: these must be built in (=y).
readonly BUILTIN=(BLK_DEV_INITRD RD_GZIP DEVTMPFS SERIAL_8250 SERIAL_8250_CONSOLE UNIX)
readonly DISK_MIB=64
readonly PART_START=2048
readonly HELLO_TEXT="vmm disk-i386: this line was read from /dev/sda1"

self=$(readlink -f "${BASH_SOURCE[0]}")
recipe_sha=$(sha256sum "$self" | cut -d' ' -f1)
cache=${VMM_IMAGES_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vmm/images}
keyring=${VMM_DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
force=false
work=

die() {
    printf 'images: %s\n' "$*" >&2
    exit 1
}

say() {
    printf 'images: %s\n' "$*" >&2
}

cleanup() {
    if [[ -n $work && -d $work ]]; then
        chmod -R u+w "$work" 2>/dev/null || true
        rm -rf "$work"
    fi
}
trap cleanup EXIT

# need_tool COMMAND PACKAGE: a host tool, or a one-line error naming the Debian package.
need_tool() {
    command -v "$1" >/dev/null 2>&1 || [[ -x /sbin/$1 || -x /usr/sbin/$1 ]] \
        || die "missing host tool '$1': install the Debian package $2 (apt-get install $2)"
}

tool() {
    local t=$1
    shift
    if command -v "$t" >/dev/null 2>&1; then
        "$t" "$@"
    elif [[ -x /usr/sbin/$t ]]; then
        "/usr/sbin/$t" "$@"
    else
        "/sbin/$t" "$@"
    fi
}

sha256() {
    sha256sum "$1" | cut -d' ' -f1
}

host_version() {
    dpkg-query -W -f='${Version}' "$1" 2>/dev/null || printf 'unknown'
}

# ---- downloads ---------------------------------------------------------------------------------

proxy_from_apt() {
    local http='' https=''
    [[ -n ${http_proxy:-} || -n ${https_proxy:-} ]] && return 0
    command -v apt-config >/dev/null 2>&1 || return 0
    eval "$(apt-config shell http Acquire::http::Proxy https Acquire::https::Proxy 2>/dev/null)" || return 0
    [[ -n $http && $http != DIRECT ]] && export http_proxy=$http
    [[ -n $https && $https != DIRECT ]] && export https_proxy=$https
    return 0
}

# download URL FILE: fetches URL into FILE (through FILE.part).
download() {
    local url=$1 file=$2
    if command -v curl >/dev/null 2>&1; then
        curl -fsL --retry 3 --connect-timeout 30 -o "$file.part" "$url" || { rm -f "$file.part"; return 1; }
    else
        wget -q -t 3 -T 60 -O "$file.part" "$url" || { rm -f "$file.part"; return 1; }
    fi
    mv -f "$file.part" "$file"
}

# ---- the Debian archive ------------------------------------------------------------------------

# Prints "URI SUITE" for each enabled deb source of the host's apt configuration with component main.
apt_sources() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f $f ]] || continue
        awk '$1 == "deb" {
                 i = 2
                 if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
                 for (j = i + 2; j <= NF; j++) if ($j == "main") { print $i, $(i + 1); break }
             }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] || continue
        awk 'function flush(  n, m, a, b, u, s) {
                 if (types ~ /(^| )deb( |$)/ && enabled != "no" && comps ~ /(^| )main( |$)/) {
                     n = split(uris, u, " "); m = split(suites, s, " ")
                     for (a = 1; a <= n; a++) for (b = 1; b <= m; b++) print u[a], s[b]
                 }
                 types = uris = suites = comps = enabled = ""
             }
             /^[ \t]*#/ { next }
             /^[ \t]*$/ { flush(); next }
             /^[A-Za-z-]+:/ {
                 key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^[ \t]+/, ""); val = $0
                 if (key == "types") types = val
                 else if (key == "uris") uris = val
                 else if (key == "suites") suites = val
                 else if (key == "components") comps = val
                 else if (key == "enabled") enabled = tolower(val)
             }
             END { flush() }' "$f"
    done
}

# mirror_for SUITE DEFAULT: the host's URI for SUITE (http or https only), else DEFAULT.
mirror_for() {
    local uri suite
    while read -r uri suite; do
        if [[ $suite == "$1" && $uri == http* ]]; then
            printf '%s' "${uri%/}"
            return 0
        fi
    done < <(apt_sources)
    printf '%s' "$2"
}

# fetch_index URI SUITE: verifies and caches the suite's main/binary-i386 Packages; prints its path.
# Offline, a previously verified index is used with a warning.
fetch_index() {
    local uri=$1 suite=$2 dir line sha size
    dir="$cache/debian/dists/$(printf '%s' "${uri#*://}" | tr '/:' '__')/$suite"
    mkdir -p "$dir"
    if ! download "$uri/dists/$suite/InRelease" "$dir/InRelease.new"; then
        if [[ -f $dir/Packages ]]; then
            say "warning: $uri $suite unreachable; using the index verified on $(date -r "$dir/Packages" -u +%F)"
            printf '%s' "$dir/Packages"
            return 0
        fi
        die "cannot download $uri/dists/$suite/InRelease (no network, or set VMM_DEBIAN_MIRROR)"
    fi
    gpgv --quiet --keyring "$keyring" --output "$dir/Release.new" "$dir/InRelease.new" 2>"$dir/gpgv.log" \
        || die "$uri $suite: InRelease fails the signature check against $keyring: $(tail -n 1 "$dir/gpgv.log")"
    grep -qx "Codename: ${suite}" "$dir/Release.new" \
        || die "$uri $suite: InRelease is not for codename $suite"
    line=$(awk '/^SHA256:/ { f = 1; next } /^[^ ]/ { f = 0 }
                f && $3 == "main/binary-i386/Packages.xz" { print $1, $2; exit }' "$dir/Release.new")
    [[ -n $line ]] || die "$uri $suite: InRelease lists no main/binary-i386/Packages.xz"
    read -r sha size <<<"$line"
    if [[ ! -f $dir/Packages || $(cat "$dir/Packages.xz.sha256" 2>/dev/null) != "$sha" ]]; then
        # By hash when the archive offers it (as apt does): the file matches InRelease even while
        # the mirror is updating.
        local url="$uri/dists/$suite/main/binary-i386/Packages.xz"
        if grep -qx 'Acquire-By-Hash: yes' "$dir/Release.new"; then
            url="$uri/dists/$suite/main/binary-i386/by-hash/SHA256/$sha"
        fi
        if ! download "$url" "$dir/Packages.xz"; then
            url="$uri/dists/$suite/main/binary-i386/Packages.xz"
            download "$url" "$dir/Packages.xz" || die "cannot download $url"
        fi
        [[ $(sha256 "$dir/Packages.xz") == "$sha" && $(stat -c %s "$dir/Packages.xz") == "$size" ]] \
            || die "$uri $suite: $url does not match the SHA256 in InRelease (the mirror is out of step)"
        xz -dc "$dir/Packages.xz" >"$dir/Packages.tmp"
        mv -f "$dir/Packages.tmp" "$dir/Packages"
        printf '%s\n' "$sha" >"$dir/Packages.xz.sha256"
        rm -f "$dir/Packages.xz"
    fi
    mv -f "$dir/Release.new" "$dir/Release"
    rm -f "$dir/InRelease.new"
    printf '%s' "$dir/Packages"
}

indexes=()     # "URI|PACKAGES-FILE", best suite first

load_indexes() {
    ((${#indexes[@]} > 0)) && return 0
    local main security suite uri file
    proxy_from_apt
    [[ -r $keyring ]] || die "no Debian archive keyring at $keyring: install the Debian package debian-archive-keyring"
    main=${VMM_DEBIAN_MIRROR:-$(mirror_for "$RELEASE" http://deb.debian.org/debian)}
    security=${VMM_DEBIAN_SECURITY_MIRROR:-$(mirror_for "$RELEASE-security" http://deb.debian.org/debian-security)}
    for suite in "$RELEASE" "$RELEASE-updates" "$RELEASE-security"; do
        uri=$main
        [[ $suite == *-security ]] && uri=$security
        if [[ $suite == *-updates ]] && [[ -z $(mirror_for "$suite" '') ]]; then
            continue        # only when the host uses it
        fi
        say "index $uri $suite (i386)"
        if file=$(fetch_index "$uri" "$suite"); then
            indexes+=("$uri|$file")
        elif [[ $suite == "$RELEASE" ]]; then
            exit 1
        else
            say "warning: skipping $suite: its index could not be verified (see above)"
        fi
    done
}

# lookup NAME [VERSION]: the newest (or the given) version of binary package NAME in the indexes.
# Sets P_NAME P_VERSION P_FILENAME P_SHA256 P_SIZE P_DEPENDS P_URI.
lookup() {
    local want=$1 exact=${2:-} idx uri file ver fn sha size dep
    P_NAME=$want P_VERSION='' P_FILENAME='' P_SHA256='' P_SIZE='' P_DEPENDS='' P_URI=''
    for idx in "${indexes[@]}"; do
        uri=${idx%%|*}
        file=${idx#*|}
        while IFS=$'\t' read -r ver fn sha size dep; do
            [[ -n $exact && $ver != "$exact" ]] && continue
            if [[ -z $P_VERSION ]] || dpkg --compare-versions "$ver" gt "$P_VERSION"; then
                P_VERSION=$ver P_FILENAME=$fn P_SHA256=$sha P_SIZE=$size P_DEPENDS=$dep P_URI=$uri
            fi
        done < <(awk -v want="$want" 'BEGIN { RS = ""; FS = "\n" }
                 {
                     p = v = f = s = z = d = ""
                     for (i = 1; i <= NF; i++) {
                         if ($i ~ /^Package: /) p = substr($i, 10)
                         else if ($i ~ /^Version: /) v = substr($i, 10)
                         else if ($i ~ /^Filename: /) f = substr($i, 11)
                         else if ($i ~ /^SHA256: /) s = substr($i, 9)
                         else if ($i ~ /^Size: /) z = substr($i, 7)
                         else if ($i ~ /^Depends: /) d = substr($i, 10)
                     }
                     if (p == want) printf "%s\t%s\t%s\t%s\t%s\n", v, f, s, z, (d == "" ? "-" : d)
                 }' "$file")
    done
    [[ -n $P_VERSION ]] || die "package $want${exact:+ version $exact} is not in the i386 indexes of $RELEASE"
    [[ $P_SHA256 =~ ^[0-9a-f]{64}$ ]] || die "package $want $P_VERSION has no SHA256 in the index"
}

# fetch_deb: downloads the package that lookup found (cached by SHA256); prints the .deb's path.
fetch_deb() {
    local dir="$cache/debian/pool" file
    mkdir -p "$dir"
    file="$dir/${P_FILENAME##*/}"
    if [[ -f $file && $(sha256 "$file") == "$P_SHA256" ]]; then
        printf '%s' "$file"
        return 0
    fi
    say "download $P_NAME $P_VERSION ($((P_SIZE / 1024)) KiB)"
    download "$P_URI/$P_FILENAME" "$file" || die "cannot download $P_URI/$P_FILENAME"
    if [[ $(sha256 "$file") != "$P_SHA256" ]]; then
        rm -f "$file"
        die "$P_NAME $P_VERSION: the .deb does not match the SHA256 of the index"
    fi
    printf '%s' "$file"
}

# ---- manifests ---------------------------------------------------------------------------------

# field FILE KEY: a manifest value, or nothing.
field() {
    [[ -f $1 ]] || return 0
    awk -v k="$2" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$1"
}

# up_to_date NAME: the manifest names this recipe and format, and every output has its SHA256.
up_to_date() {
    local dir="$cache/$1" m="$cache/$1/manifest" key sha
    [[ -f $m ]] || return 1
    [[ $(field "$m" format) == "$FORMAT" && $(field "$m" recipe.sha256) == "$recipe_sha" ]] || return 1
    while IFS='=' read -r key sha; do
        [[ $key == output.*.sha256 ]] || continue
        key=${key#output.}
        key=${key%.sha256}
        [[ -f $dir/$key && $(sha256 "$dir/$key") == "$sha" ]] || return 1
    done <"$m"
    grep -q '^output\..*\.sha256=' "$m"
}

# install_outputs NAME MANIFEST FILE...: moves FILEs (from $work) into the image directory, then the
# manifest: the old manifest goes first, so a reader never sees a manifest over other outputs.
install_outputs() {
    local name=$1 manifest=$2 dir="$cache/$1" f
    shift 2
    mkdir -p "$dir"
    rm -f "$dir/manifest"
    for f in "$@"; do
        cp -f "$work/$f" "$dir/.$f.tmp"
        mv -f "$dir/.$f.tmp" "$dir/$f"
    done
    cp -f "$manifest" "$dir/.manifest.tmp"
    mv -f "$dir/.manifest.tmp" "$dir/manifest"
}

# ---- initramfs ---------------------------------------------------------------------------------

# cpio_entry NAME MODE MAJOR MINOR INO MTIME: one newc entry without data (a directory, a device node
# or the trailer): the console node that the kernel opens before /init runs, which an unprivileged
# build cannot mknod.
cpio_entry() {
    local name=$1 mode=$2 major=$3 minor=$4 ino=$5 mtime=$6 namesize pad
    namesize=$((${#name} + 1))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
        "$ino" "$mode" 0 0 1 "$mtime" 0 0 0 "$major" "$minor" "$namesize" 0 "$name"
    pad=$(((4 - (110 + namesize) % 4) % 4))
    head -c "$pad" /dev/zero
}

# resolve_modules ROOT KVER: prints the load order (paths relative to lib/modules/KVER) of MODULES and
# their dependencies from the kernel's modules.dep; built-in ones are skipped.
resolve_modules() {
    local root=$1 kver=$2 spec mod opt value path deps out=() seen=" " d i
    local mdir="$root/lib/modules/$kver" config="$root/boot/config-$kver"
    for spec in "${MODULES[@]}"; do
        mod=${spec%%:*}
        opt=${spec#*:}
        value=$(sed -n "s/^CONFIG_$opt=//p" "$config")
        case "$value" in
            y) continue ;;
            m) ;;
            *) die "kernel $kver: CONFIG_$opt is not set, so there is no $mod" ;;
        esac
        path=$(awk -v m="/$mod.ko:" '{ s = $1; gsub(/-/, "_", s) } index(s, m) { sub(/:$/, "", $1); print $1; exit }' \
            "$mdir/modules.dep")
        [[ -n $path ]] || die "kernel $kver: module $mod (CONFIG_$opt=m) is not in modules.dep"
        deps=$(awk -v p="$path:" '$1 == p { $1 = ""; print; exit }' "$mdir/modules.dep")
        # modules.dep lists the closure so that loading it backwards satisfies every dependency.
        read -r -a d <<<"$deps"
        for ((i = ${#d[@]} - 1; i >= -1; i--)); do
            local p
            if ((i >= 0)); then p=${d[i]}; else p=$path; fi
            [[ $seen == *" $p "* ]] && continue
            seen+="$p "
            out+=("$p")
        done
    done
    printf '%s\n' "${out[@]}"
}

write_init() {
    local r=$1
    cat >"$r/init" <<'EOF'
#!/bin/sh
# /init of the vmm tiny-i386 initramfs: mounts the kernel's filesystems, loads the disk and FAT
# modules, prints a banner and hands over to busybox init, which keeps a shell on the console.
/bin/busybox --install -s
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
kver=$(uname -r)
while read -r m; do
    n=${m##*/}
    n=${n%.ko}
    # The kernel may have loaded one already through modprobe (crct10dif_generic for crc-t10dif).
    [ -d "/sys/module/$(echo "$n" | tr - _)" ] && continue
    insmod "/lib/modules/$kver/$m" || echo "init: could not load $m"
done </etc/modules.load
hostname vmm
# Only errors reach the console from now on, so kernel messages do not break into the shell's output;
# dmesg has them all.
dmesg -n 4
. /etc/vmm-guest
echo
echo "vmm guest $VMM_GUEST: Debian $VMM_KERNEL_PACKAGE ($kver), busybox $VMM_BUSYBOX"
echo "Type poweroff to end the VM."
exec /sbin/init
EOF
    chmod 755 "$r/init"
    cat >"$r/etc/inittab" <<'EOF'
# busybox init: a shell on the console (cttyhack makes it the controlling tty: job control works)
::respawn:/bin/cttyhack /bin/sh -l
::ctrlaltdel:/sbin/reboot
::shutdown:/bin/umount -a -r
::shutdown:/bin/sync
EOF
    cat >"$r/etc/profile" <<'EOF'
export PATH=/sbin:/usr/sbin:/bin:/usr/bin HOME=/root TERM=${TERM:-vt100}
export PS1='\u@\h:\w\$ '
cd "$HOME"
EOF
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
    printf 'root:x:0:\n' >"$r/etc/group"
}

recipe_tiny_i386() {
    local name=tiny-i386 kdeb bdeb kpkg kver bbver epoch m r
    local meta_version k_name k_version k_sha b_sha
    need_tool cpio cpio
    need_tool depmod kmod
    load_indexes
    lookup linux-image-686
    meta_version=$P_VERSION
    k_name=$(printf '%s' "$P_DEPENDS" | grep -o 'linux-image-[0-9][^ ,(]*' | head -n 1)
    [[ -n $k_name ]] || die "linux-image-686 $meta_version depends on no kernel package ($P_DEPENDS)"
    lookup "$k_name"
    k_version=$P_VERSION
    k_sha=$P_SHA256
    kpkg=$k_name
    kdeb=$(fetch_deb)
    kver=${k_name#linux-image-}
    lookup busybox-static
    bbver=$P_VERSION
    b_sha=$P_SHA256
    bdeb=$(fetch_deb)

    work=$(mktemp -d "$cache/.work-$name.XXXXXX")
    say "$name: unpack $kpkg $k_version and busybox-static $bbver"
    dpkg-deb -x "$kdeb" "$work/kernel"
    dpkg-deb -x "$bdeb" "$work/busybox"
    [[ -f $work/kernel/boot/vmlinuz-$kver ]] || die "$kpkg has no /boot/vmlinuz-$kver"
    [[ -x $work/busybox/bin/busybox ]] || die "busybox-static $bbver has no /bin/busybox"
    for m in "${BUILTIN[@]}"; do
        grep -qx "CONFIG_$m=y" "$work/kernel/boot/config-$kver" \
            || die "kernel $kver: CONFIG_$m is not built in; the initramfs needs it"
    done
    tool depmod -b "$work/kernel" -F "$work/kernel/boot/System.map-$kver" "$kver"

    r="$work/root"
    mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,mnt,root,run,lib/modules/"$kver"}
    cp "$work/busybox/bin/busybox" "$r/bin/busybox"
    ln -s busybox "$r/bin/sh"
    resolve_modules "$work/kernel" "$kver" >"$r/etc/modules.load"
    while read -r m; do
        mkdir -p "$r/lib/modules/$kver/${m%/*}"
        cp "$work/kernel/lib/modules/$kver/$m" "$r/lib/modules/$kver/$m"
    done <"$r/etc/modules.load"
    cp "$work/kernel/lib/modules/$kver"/modules.{builtin,builtin.modinfo,order} "$r/lib/modules/$kver/"
    tool depmod -b "$r" "$kver"
    rm -f "$r/lib/modules/$kver"/*.bin
    printf 'VMM_GUEST=%s\nVMM_KERNEL_PACKAGE=%s\nVMM_BUSYBOX=%s\n' "$name" "$k_version" "$bbver" >"$r/etc/vmm-guest"
    write_init "$r"

    # Reproducible: every mtime is the kernel's, entries sorted, owner root, no gzip timestamp.
    epoch=$(stat -c %Y "$work/kernel/boot/vmlinuz-$kver")
    find "$r" -exec touch -h -d "@$epoch" {} +
    {
        cpio_entry dev 040755 0 0 1 "$epoch"
        cpio_entry dev/console 020600 5 1 2 "$epoch"
        cpio_entry TRAILER!!! 0 0 0 0 0
        (cd "$r" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort \
            | cpio -o -H newc -R 0:0 --reproducible --quiet)
    } | gzip -9 -n >"$work/initrd.img"
    cp "$work/kernel/boot/vmlinuz-$kver" "$work/vmlinuz"

    {
        printf 'format=%s\nname=%s\nrecipe.sha256=%s\nbuilt=%s\n' "$FORMAT" "$name" "$recipe_sha" \
            "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        printf 'description=Debian %s i386 kernel and a busybox initramfs (serial console shell)\n' "$RELEASE"
        printf 'kernel.version=%s\nkernel.package=%s\nkernel.package.version=%s\n' "$kver" "$kpkg" "$k_version"
        printf 'package.linux-image-686=%s\npackage.%s=%s\npackage.busybox-static=%s\n' \
            "$meta_version" "$kpkg" "$k_version" "$bbver"
        printf 'input.%s.sha256=%s\ninput.busybox-static.sha256=%s\n' "$kpkg" "$k_sha" "$b_sha"
        printf 'modules=%s\n' "$(sed 's|.*/||; s|\.ko$||' "$r/etc/modules.load" | paste -sd, -)"
        printf 'host.cpio=%s\nhost.kmod=%s\n' "$(host_version cpio)" "$(host_version kmod)"
        printf 'boot.kernel=vmlinuz\nboot.initrd=initrd.img\nboot.append=%s\n' "$APPEND"
        for m in vmlinuz initrd.img; do
            printf 'output.%s.sha256=%s\noutput.%s.size=%s\n' "$m" "$(sha256 "$work/$m")" "$m" \
                "$(stat -c %s "$work/$m")"
        done
    } >"$work/manifest"
    install_outputs "$name" "$work/manifest" vmlinuz initrd.img
    cleanup
    work=
}

recipe_disk_i386() {
    local name=disk-i386 tiny="$cache/tiny-i386" mbr=/usr/lib/syslinux/mbr/mbr.bin part m key
    need_tool mkfs.vfat dosfstools
    need_tool mcopy mtools
    need_tool syslinux syslinux
    need_tool sfdisk fdisk
    [[ -f $mbr ]] || die "missing $mbr: install the Debian package syslinux-common"
    work=$(mktemp -d "$cache/.work-$name.XXXXXX")
    part="$work/part.img"

    cat >"$work/syslinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 0
SAY vmm disk-i386: SYSLINUX loads /vmlinuz and /initrd.img
LABEL linux
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND $APPEND
EOF
    printf '%s\n' "$HELLO_TEXT" >"$work/hello.txt"

    truncate -s $(((DISK_MIB << 20) - PART_START * 512)) "$part"
    tool mkfs.vfat -F 16 -n VMM-I386 -i 766d6d31 -h "$PART_START" --invariant "$part" >/dev/null
    export MTOOLS_SKIP_CHECK=1
    mcopy -i "$part" -m "$tiny/vmlinuz" "$tiny/initrd.img" "$work/syslinux.cfg" "$work/hello.txt" ::/
    syslinux --install "$part"
    truncate -s $((DISK_MIB << 20)) "$work/disk.img"
    printf 'label: dos\nlabel-id: 0x766d6d31\nstart=%s, type=e, bootable\n' "$PART_START" \
        | tool sfdisk --quiet "$work/disk.img" >/dev/null
    dd if="$mbr" of="$work/disk.img" bs=440 count=1 conv=notrunc status=none
    dd if="$part" of="$work/disk.img" bs=1M seek=$((PART_START * 512)) oflag=seek_bytes conv=notrunc,sparse \
        status=none
    rm -f "$part"

    {
        printf 'format=%s\nname=%s\nrecipe.sha256=%s\nbuilt=%s\n' "$FORMAT" "$name" "$recipe_sha" \
            "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        printf 'description=%s MiB MBR disk: FAT16 partition 1 with SYSLINUX, the tiny-i386 kernel and initramfs\n' \
            "$DISK_MIB"
        for key in kernel.version kernel.package kernel.package.version; do
            printf '%s=%s\n' "$key" "$(field "$tiny/manifest" "$key")"
        done
        grep '^package\.' "$tiny/manifest"
        for m in vmlinuz initrd.img; do
            printf 'input.tiny-i386.%s.sha256=%s\n' "$m" "$(field "$tiny/manifest" "output.$m.sha256")"
        done
        printf 'input.mbr.bin.sha256=%s\n' "$(sha256 "$mbr")"
        printf 'host.syslinux=%s\nhost.syslinux-common=%s\nhost.mtools=%s\nhost.dosfstools=%s\nhost.fdisk=%s\n' \
            "$(host_version syslinux)" "$(host_version syslinux-common)" "$(host_version mtools)" \
            "$(host_version dosfstools)" "$(host_version fdisk)"
        printf 'boot.disk=disk.img\nboot.append=%s\n' "$APPEND"
        printf 'disk.partition=/dev/sda1\ndisk.filesystem=vfat\n'
        printf 'testfile.path=/hello.txt\ntestfile.text=%s\n' "$HELLO_TEXT"
        printf 'output.disk.img.sha256=%s\noutput.disk.img.size=%s\n' "$(sha256 "$work/disk.img")" \
            "$(stat -c %s "$work/disk.img")"
    } >"$work/manifest"
    install_outputs "$name" "$work/manifest" disk.img
    cleanup
    work=
}

# disk-i386 is built from tiny-i386's outputs: it is stale when they changed.
inputs_current() {
    local m
    case "$1" in
        disk-i386)
            for m in vmlinuz initrd.img; do
                [[ $(field "$cache/disk-i386/manifest" "input.tiny-i386.$m.sha256") \
                    == "$(field "$cache/tiny-i386/manifest" "output.$m.sha256")" ]] || return 1
            done
            ;;
    esac
    return 0
}

built=" "

build_one() {
    local name=$1
    [[ $built == *" $name "* ]] && return 0
    built+="$name "
    case "$name" in
        disk-i386) build_one tiny-i386 ;;
    esac
    if ! $force && up_to_date "$name" && inputs_current "$name"; then
        printf '%s: up to date in %s\n' "$name" "$cache/$name"
        return 0
    fi
    say "$name: building in $cache/$name"
    "recipe_${name//-/_}"
    up_to_date "$name" || die "$name: the outputs do not match the manifest just written"
    printf '%s: built in %s\n' "$name" "$cache/$name"
}

main() {
    local cmd=${1:-}
    (($# > 0)) && shift
    case "$cmd" in
        names)
            printf '%s\n' "${RECIPES[@]}"
            ;;
        dir)
            printf '%s\n' "$cache"
            ;;
        build)
            local names=() n known
            while (($# > 0)); do
                case "$1" in
                    --force) force=true ;;
                    -*) die "unknown option $1 (usage: vmm-images.sh build [--force] [NAME...])" ;;
                    *) names+=("$1") ;;
                esac
                shift
            done
            ((${#names[@]} > 0)) || names=("${RECIPES[@]}")
            for n in "${names[@]}"; do
                known=false
                for k in "${RECIPES[@]}"; do [[ $k == "$n" ]] && known=true; done
                $known || die "unknown image '$n': the recipes are ${RECIPES[*]}"
            done
            for t in sha256sum gzip xz gpgv dpkg-deb awk; do
                need_tool "$t" "$(case $t in gpgv) echo gpgv ;; xz) echo xz-utils ;; dpkg-deb) echo dpkg ;;
                    awk) echo mawk ;; gzip) echo gzip ;; *) echo coreutils ;; esac)"
            done
            command -v curl >/dev/null 2>&1 || need_tool wget curl
            mkdir -p "$cache"
            exec 9>"$cache/.lock"
            flock 9 || die "cannot lock $cache/.lock"
            for n in "${names[@]}"; do
                build_one "$n"
            done
            ;;
        *)
            die "usage: vmm-images.sh build [--force] [NAME...] | names | dir"
            ;;
    esac
}

main "$@"

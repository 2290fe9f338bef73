#!/usr/bin/env bash
# Boots the guest images (guest-images/) in vmm and in QEMU TCG with the same memory and kernel
# command line, N runs each, and prints per run and as medians: seconds to the shell prompt, seconds
# for the in-guest loop of issue 7, seconds for the md5sum of 64 MiB, the peak host RSS, and the
# vmm/QEMU ratio of each.
#
#   bench/boot.sh [--runs N] [--memory MIB] [--only vmm|qemu] [--timeout S] [tiny-i386|disk-i386 ...]
#
# tiny-i386 boots the kernel directly (vmm --kernel/--initrd/--append; qemu -kernel/-initrd/-append),
# disk-i386 boots the disk through the firmware (vmm --disk; qemu -drive, SeaBIOS). The runs alternate
# between the emulators (vmm 1, QEMU 1, vmm 2, ...), so that a slow spell of a shared host falls on
# both and not on one emulator's runs only. Needs python3 and, for the QEMU half, the Debian package
# qemu-system-x86. Console logs go to bench/out/.
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
session="$root/guest-images/scripts/guest-session.py"
recipes="$root/guest-images/src/main/resources/dev/vmm/images/vmm-images.sh"
runs=3
memory=256
only=
timeout=1800
images=()

die() {
    printf 'boot.sh: %s\n' "$*" >&2
    exit 1
}

while (($# > 0)); do
    case "$1" in
        --runs) runs=$2; shift ;;
        --memory) memory=$2; shift ;;
        --only) only=$2; shift ;;
        --timeout) timeout=$2; shift ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        tiny-i386|disk-i386) images+=("$1") ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done
((${#images[@]} > 0)) || images=(tiny-i386 disk-i386)
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive number, not '$runs'"
[[ $memory =~ ^[1-9][0-9]*$ ]] || die "--memory must be MiB, not '$memory'"
case "$only" in ''|vmm|qemu) ;; *) die "--only must be vmm or qemu, not '$only'" ;; esac
command -v python3 >/dev/null || die "python3 is needed for the console driver"
emulators=(vmm qemu)
[[ -n $only ]] && emulators=("$only")
if [[ " ${emulators[*]} " == *" qemu "* ]]; then
    command -v qemu-system-i386 >/dev/null || die "qemu-system-i386 not found: apt-get install qemu-system-x86"
fi

bash "$recipes" build "${images[@]}" >/dev/null || die "could not build the images"
cache=$(bash "$recipes" dir)
if [[ " ${emulators[*]} " == *" vmm "* ]]; then
    "$root/vmm" --version >/dev/null || die "./vmm does not start"     # builds the CLI outside the timing
fi
append=$(sed -n 's/^boot.append=//p' "$cache/tiny-i386/manifest")
out="$root/bench/out"
mkdir -p "$out"

command_for() {
    local emu=$1 image=$2
    case "$emu/$image" in
        vmm/tiny-i386)
            echo "$root/vmm" run --kernel "$cache/tiny-i386/vmlinuz" --initrd "$cache/tiny-i386/initrd.img" \
                --append "'$append'" --memory "${memory}M" ;;
        vmm/disk-i386)
            echo "$root/vmm" run --disk "$cache/disk-i386/disk.img" --memory "${memory}M" ;;
        qemu/tiny-i386)
            echo qemu-system-i386 -accel tcg -m "$memory" -nographic -no-reboot \
                -kernel "$cache/tiny-i386/vmlinuz" -initrd "$cache/tiny-i386/initrd.img" -append "'$append'" ;;
        qemu/disk-i386)
            echo qemu-system-i386 -accel tcg -m "$memory" -nographic -no-reboot \
                -drive "file=$cache/disk-i386/disk.img,format=raw,snapshot=on" ;;
    esac
}

results="$out/results.txt"
: >"$results"
printf '%-10s %-5s %3s %9s %8s %8s %9s\n' image emu run prompt_s loop_s md5_s rss_MiB
for image in "${images[@]}"; do
    for ((i = 1; i <= runs; i++)); do
        for emu in "${emulators[@]}"; do
            cmd=$(command_for "$emu" "$image")
            line=$(eval "python3 '$session' --bench --timeout '$timeout' --log '$out/$image-$emu-$i.log' -- $cmd" \
                | tail -n 1) || true
            if [[ $line == prompt_s=*ok=True ]]; then
                eval "${line// / ; }"      # prompt_s=.. ; loop_s=.. ; md5_s=.. ; rss_kib=..
                printf '%-10s %-5s %3d %9.2f %8.2f %8.2f %9.0f\n' "$image" "$emu" "$i" "$prompt_s" "$loop_s" \
                    "$md5_s" "$((rss_kib / 1024))"
                printf '%s %s %s %s %s %s\n' "$image" "$emu" "$prompt_s" "$loop_s" "$md5_s" "$((rss_kib / 1024))" \
                    >>"$results"
            else
                printf '%-10s %-5s %3d   failed: %s (log: %s)\n' "$image" "$emu" "$i" "${line:-no result}" \
                    "$out/$image-$emu-$i.log"
            fi
        done
    done
done

echo
echo "medians of $runs run(s), ${memory} MiB, append \"$append\""
printf '%-10s %-9s %9s %9s %9s\n' image metric vmm qemu vmm/qemu
awk '
    function median(list,   n, a, i, j, t) {
        n = split(list, a, " ")
        if (n == 0) return ""
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { for (k = 3; k <= 6; k++) v[$1, $2, k] = v[$1, $2, k] " " $k; seen[$1] = 1 }
    END {
        split("prompt_s loop_s md5_s rss_MiB", names, " ")
        for (img in seen) for (k = 3; k <= 6; k++) {
            a = median(v[img, "vmm", k]); b = median(v[img, "qemu", k])
            r = (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "-"
            printf "%-10s %-9s %9s %9s %9s\n", img, names[k - 2], (a == "" ? "-" : a), (b == "" ? "-" : b), r
        }
    }' "$results"

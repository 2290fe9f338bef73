#!/usr/bin/env bash
# Snapshot save and restore of the booted tiny-i386 guest (256 MiB, kernel booted directly), in vmm
# and in QEMU TCG: seconds to save, seconds to restore, snapshot file size.
#
#   bench/snapshot.sh [--save-at N] [--runs R] [--only vmm|qemu] [--timeout S]
#
# vmm: `vmm run --deterministic --save-at N:FILE --stop-at N` boots the guest and saves it (N: guest
# instructions, or guest ns once the guest idles at the shell prompt; the script checks the prompt is
# in the output before the save), then R times `vmm restore FILE --save-at M:FILE2 --stop-at M+1000`.
# Figures, all as vmm prints them: the save inside the running VM's process (freezing the disks,
# capturing the state, compressing RAM, writing, fsync, rename: the time the guest is held); the
# restore from the start of the command's work to the guest's first instruction, and from the process's
# start (JVM start-up included); the save in the restored process; the CPU time (user + sys) of each
# restore process, from /usr/bin/time. QEMU: boot to the prompt, HMP `migrate "exec:cat > FILE"`, its
# total time from `info migrate`; then `-incoming "exec:cat FILE"`, seconds from the process's start
# until `info status` says the VM runs. Needs python3, bc, /usr/bin/time and qemu-system-i386 (Debian
# package qemu-system-x86). Files go to bench/out/.
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
recipes="$root/guest-images/src/main/resources/dev/vmm/images/vmm-images.sh"
save_at=7600000000
runs=3
only=
timeout=1800

die() {
    printf 'snapshot.sh: %s\n' "$*" >&2
    exit 1
}

while (($# > 0)); do
    case "$1" in
        --save-at) save_at=$2; shift ;;
        --runs) runs=$2; shift ;;
        --only) only=$2; shift ;;
        --timeout) timeout=$2; shift ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done
[[ $save_at =~ ^[1-9][0-9]*$ ]] || die "--save-at must be an instruction count, not '$save_at'"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive number, not '$runs'"
case "$only" in ''|vmm|qemu) ;; *) die "--only must be vmm or qemu, not '$only'" ;; esac
command -v python3 >/dev/null || die "python3 is needed"
command -v bc >/dev/null || die "bc is needed"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is needed (Debian package time)"

bash "$recipes" build tiny-i386 >/dev/null || die "could not build the tiny-i386 image"
cache=$(bash "$recipes" dir)
kernel="$cache/tiny-i386/vmlinuz"
initrd="$cache/tiny-i386/initrd.img"
append=$(sed -n 's/^boot.append=//p' "$cache/tiny-i386/manifest")
out="$root/bench/out"
mkdir -p "$out"

# The figure in "(... N ms ...)" of vmm's line starting with $1 in the file $2.
ms() {
    sed -n "s/^$1 .*(\([0-9.]* MiB, \)\{0,1\}\([0-9]*\) ms.*/\2/p" "$2" | head -n 1
}
seconds() {
    printf '%.3f' "$(echo "$1 / 1000" | bc -l)"
}

if [[ $only != qemu ]]; then
    "$root/vmm" --version >/dev/null || die "./vmm does not start"     # builds the CLI outside the timing
    snap="$out/tiny-i386.vmmsnap"
    rm -f "$snap" "$snap".* "$out"/tiny-i386-again*.vmmsnap*
    echo "vmm: booting tiny-i386 to instruction $save_at (minutes)..." >&2
    "$root/vmm" run --kernel "$kernel" --initrd "$initrd" --append "$append" --memory 256M --deterministic \
        --serial "file:$out/vmm-save-serial.txt" --save-at "$save_at:$snap" --stop-at "$save_at" \
        2>"$out/vmm-save.log" || die "vmm run failed: $(cat "$out/vmm-save.log")"
    grep -q 'root@vmm:[^#]*# ' "$out/vmm-save-serial.txt" \
        || die "no shell prompt before instruction $save_at: raise --save-at (see $out/vmm-save-serial.txt)"
    grep -q '^vmm: saved ' "$out/vmm-save.log" || die "nothing saved: $(cat "$out/vmm-save.log")"
    save_ms=$(ms "vmm: saved" "$out/vmm-save.log")
    size=$(stat -c %s "$snap")
    printf 'vmm   save_in_run_s=%s size_MiB=%.1f load=%s\n' "$(seconds "$save_ms")" \
        "$(echo "$size / 1048576" | bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)"
    for ((r = 1; r <= runs; r++)); do
        again="$out/tiny-i386-again$r.vmmsnap"
        log="$out/vmm-restore$r.log"
        /usr/bin/time -f 'cpu %U %S %e' "$root/vmm" restore "$snap" --serial none \
            --save-at "$((save_at + 500)):$again" --stop-at $((save_at + 1000)) 2>"$log" \
            || die "vmm restore failed: $(cat "$log")"
        restore_ms=$(ms "vmm: restored" "$log")
        process_ms=$(sed -n 's/^vmm: restored .*; \([0-9]*\) ms since the process started).*/\1/p' "$log")
        resave_ms=$(ms "vmm: saved" "$log")
        read -r user sys wall < <(sed -n 's/^cpu //p' "$log")
        printf 'vmm   run=%d restore_s=%s restore_from_process_start_s=%s resave_s=%s restore_cpu_s=%.2f load=%s\n' \
            "$r" "$(seconds "$restore_ms")" "$(seconds "${process_ms:-0}")" "$(seconds "${resave_ms:-0}")" \
            "$(echo "$user + $sys" | bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)"
    done
fi

if [[ $only != vmm ]]; then
    command -v qemu-system-i386 >/dev/null || die "qemu-system-i386 not found: apt-get install qemu-system-x86"
    python3 - "$kernel" "$initrd" "$append" "$out" "$timeout" <<'PY'
import os, re, socket, subprocess, sys, time
kernel, initrd, append, out, timeout = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
state = os.path.join(out, "tiny-i386.qemu-migrate")
serial = os.path.join(out, "qemu-serial.txt")
base = ["qemu-system-i386", "-accel", "tcg", "-m", "256", "-display", "none", "-no-reboot",
        "-kernel", kernel, "-initrd", initrd, "-append", append]

def hmp(sock_path, started):
    deadline = time.time() + 30
    while True:
        try:
            s = socket.socket(socket.AF_UNIX); s.connect(sock_path); break
        except OSError:
            if time.time() > deadline: raise
            time.sleep(0.01)
    f = s.makefile("rwb", buffering=0)
    def read_prompt():
        buf = b""
        while not buf.endswith(b"(qemu) "):
            c = f.read(1)
            if not c: raise SystemExit("qemu monitor closed")
            buf += c
        return buf.decode(errors="replace")
    read_prompt()
    def cmd(line):
        f.write(line.encode() + b"\n")
        return read_prompt()
    return cmd

for p in (state, serial):
    if os.path.exists(p): os.remove(p)
mon = os.path.join(out, "qemu-src.sock")
if os.path.exists(mon): os.remove(mon)
src = subprocess.Popen(base + ["-serial", "file:" + serial, "-monitor", "unix:%s,server,nowait" % mon])
t0 = time.time()
while True:
    if time.time() - t0 > timeout: src.kill(); raise SystemExit("qemu: no prompt")
    try:
        if re.search(rb"root@vmm:[^\r\n#]*# ", open(serial, "rb").read()): break
    except FileNotFoundError: pass
    time.sleep(0.2)
time.sleep(1)
cmd = hmp(mon, t0)
cmd('migrate "exec:cat > %s"' % state)
while True:
    info = cmd("info migrate")
    if "Migration status: completed" in info or "status: completed" in info: break
    if "failed" in info: raise SystemExit("qemu migrate failed:\n" + info)
    time.sleep(0.05)
m = re.search(r"total time: (\d+) ms", info)
save_s = int(m.group(1)) / 1000 if m else float("nan")
cmd("quit") if False else None
src.kill(); src.wait()
size = os.path.getsize(state)

mon2 = os.path.join(out, "qemu-dst.sock")
if os.path.exists(mon2): os.remove(mon2)
t1 = time.time()
dst = subprocess.Popen(base + ["-serial", "null", "-monitor", "unix:%s,server,nowait" % mon2,
                               "-incoming", "exec:cat %s" % state])
cmd2 = hmp(mon2, t1)
while "running" not in cmd2("info status"):
    time.sleep(0.005)
restore_s = time.time() - t1
dst.kill(); dst.wait()
print("qemu  save_s=%.3f restore_s=%.3f size_MiB=%.1f" % (save_s, restore_s, size / 1048576))
PY
fi

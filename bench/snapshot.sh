#!/usr/bin/env bash
# Snapshot save and restore of the booted tiny-i386 guest (256 MiB, kernel booted directly), in vmm
# and in QEMU TCG: seconds to save, seconds to restore, snapshot file size.
#
#   bench/snapshot.sh [--save-at N] [--only vmm|qemu] [--timeout S]
#
# vmm: `vmm run --save-at N:FILE --stop-at N` (N: an instruction count after the shell prompt; the
# script checks the prompt is in the output before the save; real-time mode, since a deterministic
# boot of this guest halts in the ata_piix probe, a problem of its own), then
# `vmm restore FILE --stop-at N+1000`. The times are the ones vmm prints: the save (RAM and device
# state written, fsync, rename) and the restore (file read and verified, machine built and restored,
# until the guest's first instruction). QEMU: boot to the prompt, HMP `migrate "exec:cat > FILE"`,
# its total time from `info migrate`; then `-incoming "exec:cat FILE"`, seconds from the process's
# start until `info status` says the VM runs. Needs python3 and qemu-system-i386 (Debian package
# qemu-system-x86). Files go to bench/out/.
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
recipes="$root/guest-images/src/main/resources/dev/vmm/images/vmm-images.sh"
save_at=7600000000
only=
timeout=1800

die() {
    printf 'snapshot.sh: %s\n' "$*" >&2
    exit 1
}

while (($# > 0)); do
    case "$1" in
        --save-at) save_at=$2; shift ;;
        --only) only=$2; shift ;;
        --timeout) timeout=$2; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done
[[ $save_at =~ ^[1-9][0-9]*$ ]] || die "--save-at must be an instruction count, not '$save_at'"
case "$only" in ''|vmm|qemu) ;; *) die "--only must be vmm or qemu, not '$only'" ;; esac
command -v python3 >/dev/null || die "python3 is needed"

bash "$recipes" build tiny-i386 >/dev/null || die "could not build the tiny-i386 image"
cache=$(bash "$recipes" dir)
kernel="$cache/tiny-i386/vmlinuz"
initrd="$cache/tiny-i386/initrd.img"
append=$(sed -n 's/^boot.append=//p' "$cache/tiny-i386/manifest")
out="$root/bench/out"
mkdir -p "$out"

if [[ $only != qemu ]]; then
    "$root/vmm" --version >/dev/null || die "./vmm does not start"     # builds the CLI outside the timing
    snap="$out/tiny-i386.vmmsnap"
    rm -f "$snap" "$snap".*
    echo "vmm: booting tiny-i386 to instruction $save_at (several minutes in the interpreter)..." >&2
    "$root/vmm" run --kernel "$kernel" --initrd "$initrd" --append "$append" --memory 256M \
        --serial "file:$out/vmm-save-serial.txt" --save-at "$save_at:$snap" --stop-at "$save_at" \
        2>"$out/vmm-save.log" || die "vmm run failed: $(cat "$out/vmm-save.log")"
    grep -q 'root@vmm:[^#]*# ' "$out/vmm-save-serial.txt" \
        || die "no shell prompt before instruction $save_at: raise --save-at (see $out/vmm-save-serial.txt)"
    save_ms=$(sed -n 's/^vmm: saved .* (\([0-9.]*\) MiB, \([0-9]*\) ms).*/\2/p' "$out/vmm-save.log")
    "$root/vmm" restore "$snap" --serial none --stop-at $((save_at + 1000)) 2>"$out/vmm-restore.log" \
        || die "vmm restore failed: $(cat "$out/vmm-restore.log")"
    restore_ms=$(sed -n 's/^vmm: restored .* (\([0-9]*\) ms)$/\1/p' "$out/vmm-restore.log")
    size=$(stat -c %s "$snap")
    printf 'vmm   save_s=%.3f restore_s=%.3f size_MiB=%.1f\n' "$(echo "$save_ms / 1000" | bc -l)" \
        "$(echo "$restore_ms / 1000" | bc -l)" "$(echo "$size / 1048576" | bc -l)"
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

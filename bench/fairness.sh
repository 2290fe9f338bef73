#!/usr/bin/env bash
# CPU fairness of one vmm host in real time (issue 9): busy guests under the host's scheduler,
# measured from the host's own accounting (`ps` over the control socket: cpuNanos per VM).
#
#   bench/fairness.sh [--seconds S] [--workers N]
#
# Phase 1: four guests spinning in a tight loop (a boot sector: `jmp $`) with --cpu-weight
# 1, 1, 2, 4 on --workers worker threads (default 1, so they compete for one core); after
# --seconds (default 30) prints each guest's share of the CPU the four got, beside weight/8.
# Phase 2: one spinning guest with --cpu-cap 25 beside an uncapped spinner and a guest halted in
# HLT with interrupts off; prints the capped guest's use in percent of one core over the same time
# (the cap: at most 25 %), and the halted guest's (should be ~0).
# Needs python3 (standard library only).
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
seconds=30
workers=1

die() {
    printf 'fairness.sh: %s\n' "$*" >&2
    exit 1
}

while (($# > 0)); do
    case "$1" in
        --seconds) seconds=$2; shift ;;
        --workers) workers=$2; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "--seconds must be a positive number, not '$seconds'"
[[ $workers =~ ^[1-9][0-9]*$ ]] || die "--workers must be a positive number, not '$workers'"
command -v python3 >/dev/null || die "python3 is needed"
"$root/vmm" --version >/dev/null || die "./vmm does not start"     # builds the CLI outside the timing

home=$(mktemp -d "${TMPDIR:-/tmp}/vmm-fairness.XXXXXX")
export VMM_HOME=$home
sock="$home/vmm.sock"
host_pid=
cleanup() {
    if [[ -n $host_pid ]] && kill -0 "$host_pid" 2>/dev/null; then
        kill -TERM "$host_pid" 2>/dev/null || true
        wait "$host_pid" 2>/dev/null || true
    fi
    rm -rf "$home"
}
trap cleanup EXIT

# Boot sectors in 32 KiB raw disks: "spin" loops on `jmp $` (EB FE) with interrupts off, "halt"
# stops in `cli; hlt` (FA F4, then jmp back).
python3 - "$home" <<'EOF'
import sys
for name, code in (("spin", b"\xfa\xeb\xfe"), ("halt", b"\xfa\xf4\xeb\xfd")):
    img = bytearray(32 * 1024)
    img[:len(code)] = code
    img[510:512] = b"\x55\xaa"
    open(sys.argv[1] + "/" + name + ".img", "wb").write(img)
EOF
for g in w1a w1b w2 w4 capped free; do
    "$root/vmm" create "$g" --memory 4M --disk "$home/spin.img" --disk-mode ro >/dev/null
done
"$root/vmm" create halted --memory 4M --disk "$home/halt.img" --disk-mode ro >/dev/null

"$root/vmm" host --memory-pool 64M --workers "$workers" --socket "$sock" >"$home/host.log" 2>&1 &
host_pid=$!

python3 - "$sock" "$root/vmm" "$seconds" "$workers" <<'EOF'
import json, socket, subprocess, sys, time

sock_path, vmm, seconds, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def request(op, **fields):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    with s:
        f = s.makefile("rwb")
        f.write((json.dumps(dict(op=op, **fields)) + "\n").encode())
        f.flush()
        return json.loads(f.readline())

deadline = time.monotonic() + 120
while True:
    try:
        if request("ping").get("ok"):
            break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit("fairness.sh: the host did not answer on " + sock_path)
    time.sleep(0.2)

def start(name, weight=1, cap=0):
    r = request("start", name=name, cpuWeight=weight, cpuCap=cap)
    if not r.get("ok"):
        sys.exit("fairness.sh: start %s: %s" % (name, r.get("error")))

def cpu(names):
    vms = {v["name"]: v for v in request("list")["vms"]}
    return {n: vms[n]["cpuNanos"] for n in names}

def measure(names):
    a, t0 = cpu(names), time.monotonic()
    time.sleep(seconds)
    b, t1 = cpu(names), time.monotonic()
    return {n: b[n] - a[n] for n in names}, t1 - t0

print("vmm host, %d worker thread(s), %d s per phase" % (workers, seconds))
weights = {"w1a": 1, "w1b": 1, "w2": 2, "w4": 4}
for n, w in weights.items():
    start(n, w)
# Past the start-up: the first quantum of the first guest runs on a cold JVM (class loading,
# HotSpot warming up) and is charged to it, so the others run first until they have had as much.
time.sleep(10)
used, wall = measure(list(weights))
total = sum(used.values())
print("| guest | weight | expected share | measured share | deviation |")
print("|---|---|---|---|---|")
for n, w in weights.items():
    share, expected = used[n] / total, w / 8
    print("| %s | %d | %.4f | %.4f | %+.1f %% |" % (n, w, expected, share, 100 * (share - expected) / expected))
print("four guests used %.2f s of CPU in %.2f s" % (total / 1e9, wall))
for n in weights:
    request("stop", name=n)

for n, cap in (("capped", 25), ("free", 0), ("halted", 0)):
    start(n, 1, cap)
time.sleep(5)
used, wall = measure(["capped", "free", "halted"])
print("| guest | cap | use of one core |")
print("|---|---|---|")
for n, cap in (("capped", "25 %"), ("free", "-"), ("halted", "-")):
    print("| %s | %s | %.2f %% |" % (n, cap, 100 * used[n] / 1e9 / wall))
EOF

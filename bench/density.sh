#!/usr/bin/env bash
# Density of one vmm host (issue 9): N tiny-i386 guests (Debian i386 kernel, busybox shell on
# COM1) in one `vmm host --memory-pool`, and what they cost.
#
#   bench/density.sh [--count N] [--memory MIB] [--pool MIB] [--workers N] [--timeout S] [--idle S]
#
# --timeout: how long one guest may take to its prompt (default 14400 s: nine tiny-i386 guests
# booting together on a loaded 2-core machine took over an hour each).
# Starts a host in a fresh $VMM_HOME, defines N guests of --memory MiB (default 10 x 128 MiB,
# pool default N x memory), starts guests 1..N-1 together and waits until each shows its shell
# prompt (root@vmm:~#) on its console; then, with those idle at the shell, starts guest N and
# times it from `start` to its prompt. Prints a table: per guest the start-to-shell time, the
# touched memory and the CPU use (`vmm ps`: percent of one core over the last 1-2 s) while idle
# at the shell; the host's RSS (/proc/PID/status VmRSS) before any guest, with N-1 and with N
# guests, and per guest, and again after all N idled --idle seconds more (default 120: the JVM
# gives back heap and the code cache forgets boot code only after a while); the pool and what one
# guest more gets (refused: the pool is full), and the host's CPU use (all its threads) over the
# --idle seconds.
# Needs python3 (standard library only) and the tiny-i386 image (built if missing).
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
recipes="$root/guest-images/src/main/resources/dev/vmm/images/vmm-images.sh"
count=10
memory=128
pool=
workers=
timeout=14400
idle=120

die() {
    printf 'density.sh: %s\n' "$*" >&2
    exit 1
}

while (($# > 0)); do
    case "$1" in
        --count) count=$2; shift ;;
        --memory) memory=$2; shift ;;
        --pool) pool=$2; shift ;;
        --workers) workers=$2; shift ;;
        --timeout) timeout=$2; shift ;;
        --idle) idle=$2; shift ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done
[[ $count =~ ^[1-9][0-9]*$ ]] || die "--count must be a positive number, not '$count'"
[[ $memory =~ ^[1-9][0-9]*$ ]] || die "--memory must be MiB, not '$memory'"
pool=${pool:-$((count * memory))}
[[ $pool =~ ^[1-9][0-9]*$ ]] || die "--pool must be MiB, not '$pool'"
[[ -z $workers || $workers =~ ^[1-9][0-9]*$ ]] || die "--workers must be a positive number, not '$workers'"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout must be seconds, not '$timeout'"
[[ $idle =~ ^[0-9]+$ ]] || die "--idle must be seconds, not '$idle'"
command -v python3 >/dev/null || die "python3 is needed"

bash "$recipes" build tiny-i386 >/dev/null || die "could not build the tiny-i386 image"
image="$(bash "$recipes" dir)/tiny-i386"
append=$(sed -n 's/^boot.append=//p' "$image/manifest")
"$root/vmm" --version >/dev/null || die "./vmm does not start"     # builds the CLI outside the timing

home=$(mktemp -d "${TMPDIR:-/tmp}/vmm-density.XXXXXX")
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

for i in $(seq 1 "$count"); do
    "$root/vmm" create "g$i" --memory "${memory}M" --kernel "$image/vmlinuz" --initrd "$image/initrd.img" \
        --append "$append" >/dev/null
done
"$root/vmm" create extra --memory "${memory}M" --kernel "$image/vmlinuz" --initrd "$image/initrd.img" \
    --append "$append" >/dev/null

"$root/vmm" host --memory-pool "${pool}M" ${workers:+--workers "$workers"} --socket "$sock" \
    >"$home/host.log" 2>&1 &
host_pid=$!     # ./vmm execs java: this is the host's JVM

python3 - "$sock" "$host_pid" "$count" "$memory" "$pool" "$timeout" "${workers:-$(nproc)}" "$idle" <<'EOF'
import json, os, re, socket, sys, threading, time

sock_path, host_pid, count, memory, pool, timeout, workers, idle_s = sys.argv[1:9]
host_pid, count, memory, pool, timeout, idle_s = int(host_pid), int(count), int(memory), int(pool), int(timeout), int(idle_s)
PROMPT = re.compile(rb"root@vmm:[^\r\n]*# ")
MIB = 1 << 20

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    return s

def request(op, **fields):
    with connect() as s:
        f = s.makefile("rwb")
        f.write((json.dumps(dict(op=op, **fields)) + "\n").encode())
        f.flush()
        return json.loads(f.readline())

def rss_mib():
    with open("/proc/%d/status" % host_pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")

def host_cpu_s():
    """The host JVM's CPU time so far (all its threads: vCPUs, GC, compilers), in seconds."""
    with open("/proc/%d/stat" % host_pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

deadline = time.monotonic() + 120
while True:
    try:
        if request("ping").get("ok"):
            break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit("density.sh: the host did not answer on " + sock_path)
    time.sleep(0.2)

boot = {}           # name -> seconds from start to prompt
failed = {}

def start_and_wait(name):
    """Starts NAME, attaches to its console and waits for the shell prompt."""
    with connect() as con:
        f = con.makefile("rwb")
        t0 = time.monotonic()
        reply = request("start", name=name)
        if not reply.get("ok"):
            failed[name] = reply.get("error", "refused")
            return
        f.write((json.dumps(dict(op="console", name=name)) + "\n").encode())
        f.flush()
        reply = json.loads(f.readline())
        if not reply.get("ok"):
            failed[name] = reply.get("error", "no console")
            return
        con.settimeout(5)
        buf = b""
        while time.monotonic() - t0 < timeout:
            try:
                data = con.recv(65536)
            except socket.timeout:
                continue
            if not data:
                failed[name] = "console closed: " + buf[-200:].decode("latin-1")
                return
            buf = (buf + data)[-4096:]
            if PROMPT.search(buf):
                boot[name] = time.monotonic() - t0
                return
        failed[name] = "no prompt after %d s" % timeout

def vms():
    return {v["name"]: v for v in request("list")["vms"]}

def settle():
    time.sleep(4)       # the host samples CPU time once a second; CPU% covers the last 1-2 s

load0 = os.getloadavg()
rss0 = rss_mib()
first = ["g%d" % i for i in range(1, count)]
threads = [threading.Thread(target=start_and_wait, args=(n,)) for n in first]
for t in threads:
    t.start()
for t in threads:
    t.join()
settle()
idle = vms()
rss_first = rss_mib()
last = "g%d" % count
load1 = os.getloadavg()
cpu_during = {}
watch = threading.Event()

def sample_during():
    while not watch.wait(5):
        for n, v in vms().items():
            if n in first and "cpuPercent" in v:
                cpu_during.setdefault(n, []).append(v["cpuPercent"])

sampler = threading.Thread(target=sample_during)
sampler.start()
start_and_wait(last)
watch.set()
sampler.join()
settle()
final = vms()
rss_all = rss_mib()
cpu0 = host_cpu_s()
time.sleep(idle_s)
cpu_idle = (host_cpu_s() - cpu0) / max(idle_s, 1) * 100
rss_idle = rss_mib()
idle_vms = vms()
extra = request("start", name="extra")
listing = request("list")

print("density: %d tiny-i386 guests of %d MiB in one host (pool %d MiB, %s workers, %d host cores)"
      % (count, memory, pool, workers, os.cpu_count()))
print("load average before: %.2f %.2f %.2f; after the first %d booted: %.2f %.2f %.2f"
      % (load0 + (count - 1,) + load1))
print()
print("%-6s %-22s %10s %10s %9s %12s" % ("guest", "started", "to shell", "touched", "idle CPU%",
                                         "CPU% max*"))
for n in first + [last]:
    v = final.get(n, {})
    how = ("with %d others" % (count - 2)) if n != last else ("alone, %d idle" % (count - 1))
    t = "%.1f s" % boot[n] if n in boot else "FAILED"
    during = cpu_during.get(n)
    print("%-6s %-22s %10s %8.1f MiB %9s %12s" % (
        n, how, t, v.get("residentBytes", 0) / MIB, v.get("cpuPercent", "-"),
        ("%.1f" % max(during)) if during else "-"))
print("* while %s booted (the others idle at their shell), sampled every 5 s" % last)
for n, why in failed.items():
    print("%s: %s" % (n, why))
print()
print("first %d started together: %d at the shell, the last after %.1f s" % (
    count - 1, len([n for n in first if n in boot]), max([boot[n] for n in first if n in boot] or [0])))
print("%s start-to-shell with %d idle guests: %s" % (last, count - 1,
      ("%.1f s" % boot[last]) if last in boot else "FAILED"))
print("host RSS: %.0f MiB before any guest, %.0f MiB with %d, %.0f MiB with %d: %.1f MiB per guest"
      % (rss0, rss_first, count - 1, rss_all, count, (rss_all - rss0) / count))
touched_idle = sum(v.get("residentBytes", 0) for n, v in idle_vms.items() if n != "extra") / MIB
print("host RSS %d s later, all %d idle: %.0f MiB: %.1f MiB per guest, of which %.1f MiB touched guest RAM"
      % (idle_s, count, rss_idle, (rss_idle - rss0) / count, touched_idle / count))
print("host CPU over those %d s: %.1f %% of one core (%.1f %% per guest; every thread of the JVM)"
      % (idle_s, cpu_idle, cpu_idle / count))
touched = sum(v.get("residentBytes", 0) for v in final.values()) / MIB
print("guest RAM: %d MiB reserved, %.1f MiB touched (%.1f MiB per guest)"
      % (listing["pool"]["usedBytes"] / MIB, touched, touched / count))
print("one guest more: " + ("started (the pool had room)" if extra.get("ok") else "refused: " + extra.get("error", "")))
request("shutdown")
EOF
wait "$host_pid" || true
host_pid=

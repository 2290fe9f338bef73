#!/usr/bin/env python3
"""Where a boot's time goes: boots tiny-i386 in vmm and in QEMU TCG on a pseudo-terminal, stamps
each console line with the host's time since the start, and prints, for each phase of the Linux
boot between two console milestones, the seconds in each emulator and their ratio.

    bench/boot-phases.py [--memory MIB] [--timeout S] [--only vmm|qemu] [--log-dir DIR]

Needs the images built (bench/boot.sh builds them) and, for the QEMU half, qemu-system-i386.
The console logs, with the host time in front of each line, go to --log-dir (bench/out).
Only the Python standard library is used.
"""
import argparse
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPES = os.path.join(ROOT, "guest-images/src/main/resources/dev/vmm/images/vmm-images.sh")
PROMPT = re.compile(rb"root@vmm:[^\r\n]*# ")
# (name of the phase that ends here, a regular expression for the console line that ends it)
MILESTONES = [
    ("start to the kernel's console (firmware, decompressor, early setup)", r"\] Linux version "),
    ("early init to the initramfs", r"Trying to unpack rootfs image as initramfs"),
    ("initramfs unpack (inflate)", r"Freeing initrd memory"),
    ("initcalls to the kernel's keys", r"Loading compiled-in X\.509 certificates"),
    ("X.509 key load", r"Loaded X\.509 cert"),
    ("late initcalls to /init", r"Run /init as init process"),
    ("/init: modules and busybox to the prompt", None),
]


def stamped_boot(argv, log_path, timeout):
    """Runs argv on a pty until the shell prompt; returns {milestone index: host seconds}."""
    start = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    seen = {}
    buf = b""
    with open(log_path, "w") as log:
        try:
            while len(seen) < len(MILESTONES):
                left = timeout - (time.monotonic() - start)
                if left <= 0:
                    raise SystemExit(f"boot-phases.py: no prompt within {timeout} s: {' '.join(argv)}")
                r, _, _ = select.select([fd], [], [], min(left, 5))
                if not r:
                    continue
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    raise SystemExit(f"boot-phases.py: the emulator ended before the prompt: {' '.join(argv)}")
                now = time.monotonic() - start
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    text = line.decode(errors="replace").rstrip("\r")
                    log.write(f"{now:8.2f} {text}\n")
                    for k, (_, pattern) in enumerate(MILESTONES):
                        if pattern and k not in seen and re.search(pattern, text):
                            seen[k] = now
                if PROMPT.search(buf):
                    seen[len(MILESTONES) - 1] = now
                    log.write(f"{now:8.2f} (prompt)\n")
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    return seen


def phases(seen):
    """Seconds per phase (None where a milestone was not seen)."""
    out, prev = [], 0.0
    for k in range(len(MILESTONES)):
        t = seen.get(k)
        out.append(None if t is None or prev is None else t - prev)
        prev = t
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--memory", type=int, default=256)
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--only", choices=["vmm", "qemu"])
    ap.add_argument("--log-dir", default=os.path.join(ROOT, "bench/out"))
    a = ap.parse_args()
    cache = subprocess.run(["bash", RECIPES, "dir"], capture_output=True, text=True, check=True).stdout.strip()
    image = os.path.join(cache, "tiny-i386")
    if not os.path.exists(os.path.join(image, "manifest")):
        sys.exit("boot-phases.py: tiny-i386 is not built (bench/boot.sh or ./vmm images build tiny-i386)")
    append = next(l.split("=", 1)[1].strip() for l in open(os.path.join(image, "manifest")) if l.startswith("boot.append="))
    kernel, initrd = os.path.join(image, "vmlinuz"), os.path.join(image, "initrd.img")
    commands = {
        "vmm": [os.path.join(ROOT, "vmm"), "run", "--kernel", kernel, "--initrd", initrd,
                "--append", append, "--memory", f"{a.memory}M"],
        "qemu": ["qemu-system-i386", "-accel", "tcg", "-m", str(a.memory), "-nographic", "-no-reboot",
                 "-kernel", kernel, "-initrd", initrd, "-append", append],
    }
    os.makedirs(a.log_dir, exist_ok=True)
    result = {}
    for emu in ([a.only] if a.only else ["vmm", "qemu"]):
        log = os.path.join(a.log_dir, f"phases-{emu}.log")
        result[emu] = phases(stamped_boot(commands[emu], log, a.timeout))
        print(f"{emu}: console log with host seconds in {log}", file=sys.stderr)
    fmt = lambda v: "-" if v is None else f"{v:.2f}"
    print(f"{'phase (ends at the console line of the next)':<72} {'vmm_s':>7} {'qemu_s':>7} {'ratio':>6}")
    for k, (name, _) in enumerate(MILESTONES):
        v = result.get("vmm", [None] * len(MILESTONES))[k]
        q = result.get("qemu", [None] * len(MILESTONES))[k]
        ratio = "-" if v is None or not q else f"{v / q:.1f}"
        print(f"{name:<72} {fmt(v):>7} {fmt(q):>7} {ratio:>6}")
    tv = sum(x for x in result.get("vmm", []) if x is not None) if "vmm" in result else None
    tq = sum(x for x in result.get("qemu", []) if x is not None) if "qemu" in result else None
    print(f"{'start to the prompt':<72} {fmt(tv):>7} {fmt(tq):>7} {('-' if not tv or not tq else f'{tv / tq:.1f}'):>6}")


if __name__ == "__main__":
    main()

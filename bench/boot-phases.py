#!/usr/bin/env python3
"""Where a boot's time goes: boots tiny-i386 in vmm and in QEMU TCG on a pseudo-terminal, stamps
the time each console milestone appears, and prints, for each phase of the Linux
boot between two console milestones, the seconds in each emulator and their ratio.

    bench/boot-phases.py [--memory MIB] [--timeout S] [--only vmm|qemu] [--log-dir DIR]

Needs the images built (bench/boot.sh builds them) and, for the QEMU half, qemu-system-i386.
The console logs go to --log-dir (bench/out). The pty driver is guest-images/scripts/guest-session.py's.
Only the Python standard library is used.
"""
import argparse
import importlib.util
import os
import re
import sys
import time

import images

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("guest_session", os.path.join(ROOT, "guest-images/scripts/guest-session.py"))
guest_session = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(guest_session)
# (the phase that ends here, the console output that ends it), in the order the boot prints them
MILESTONES = [
    ("start to the kernel's console (firmware, decompressor, early setup)", rb"\] Linux version "),
    ("early init to the initramfs", rb"Trying to unpack rootfs image as initramfs"),
    ("initramfs unpack (inflate)", rb"Freeing initrd memory"),
    ("initcalls to the kernel's keys", rb"Loading compiled-in X\.509 certificates"),
    ("X.509 key load", rb"Loaded X\.509 cert"),
    ("late initcalls: crypto self-tests (DH, RSA), the rest", rb"clk: Disabling unused clocks"),
    ("freeing init memory to /init", rb"Run /init as init process"),
    ("/init: modules and busybox to the prompt", guest_session.PROMPT.pattern),
]


def phase_seconds(argv, log_path, timeout):
    """Runs argv on a pty (guest-session.py's Session) until the shell prompt; returns the seconds of each phase."""
    with open(log_path, "wb") as log:
        s = guest_session.Session(argv, log)
        try:
            seconds, prev = [], s.start
            for _, pattern in MILESTONES:
                s.expect(re.compile(pattern), max(1, timeout - (time.monotonic() - s.start)))
                now = time.monotonic()
                seconds.append(now - prev)
                prev = now
            return seconds
        finally:
            s.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--memory", type=int, default=256)
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--only", choices=["vmm", "qemu"])
    ap.add_argument("--log-dir", default=os.path.join(ROOT, "bench/out"))
    a = ap.parse_args()
    kernel, initrd, append = images.tiny_i386(False, "boot-phases.py")
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
        result[emu] = phase_seconds(commands[emu], log, a.timeout)
        print(f"{emu}: console log in {log}", file=sys.stderr)
    rows = [(name, k) for k, (name, _) in enumerate(MILESTONES)] + [("start to the prompt", None)]
    print(f"{'phase (ends at the console line of the next)':<72} {'vmm_s':>7} {'qemu_s':>7} {'ratio':>6}")
    for name, k in rows:
        v, q = (None if emu not in result else sum(result[emu]) if k is None else result[emu][k] for emu in ("vmm", "qemu"))
        ratio = f"{v / q:.1f}" if v is not None and q else "-"
        print(f"{name:<72} {'-' if v is None else f'{v:.2f}':>7} {'-' if q is None else f'{q:.2f}':>7} {ratio:>6}")


if __name__ == "__main__":
    main()

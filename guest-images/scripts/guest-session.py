#!/usr/bin/env python3
"""Drives a vmm guest image's serial console from a pseudo-terminal, as a person at a terminal would.

    guest-session.py [--log FILE] [--timeout S] [--disk-check] [--bench] -- COMMAND...

COMMAND (QEMU, ./vmm run, ...) runs on a pty. The session waits for the guest's shell prompt
(root@vmm:~#), types the commands of issue 7 (uname -a, /proc/cpuinfo, /proc/interrupts, mount,
with --disk-check a file read from /dev/sda1, dd | md5sum, dmesg) and checks their output, then
types poweroff and waits for COMMAND to end. Exit status 0 when every check passed and COMMAND
ended with status 0.

--bench times instead: seconds from start to the prompt, for the shell loop of issue 7, for the
md5sum of 64 MiB, and the peak RSS of COMMAND; printed as one line of key=value pairs.
Only the Python standard library is used.
"""
import argparse
import os
import pty
import re
import select
import signal
import sys
import time

PROMPT = re.compile(rb"root@vmm:[^\r\n]*# ")
ZERO_16M_MD5 = "2c7ab85a893283e98c931e9511add182"
ZERO_64M_MD5 = "7f614da9329cd3aebf59b91aadc30bf0"
DMESG_BAD = ["BUG", "Oops", "WARNING", "panic", "unknown opcode", "invalid opcode",
             "timer doesn't work", "clocksource unstable"]
LOOP = "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"


class Ended(Exception):
    pass


class Session:
    def __init__(self, argv, log):
        self.log = log
        self.buf = b""
        self.start = time.monotonic()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execvp(argv[0], argv)
            finally:
                os._exit(127)
        self.status = None
        self.rusage = None

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        if not data:
            raise Ended()
        self.buf += data
        if self.log:
            self.log.write(data)
            self.log.flush()
        return True

    def expect(self, pattern, timeout):
        """Waits for a regex over the output since the last match; returns the text before it and the match."""
        deadline = time.monotonic() + timeout
        while True:
            m = pattern.search(self.buf)
            if m:
                before = self.buf[:m.start()]
                self.buf = self.buf[m.end():]
                return before, m
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no %r within %ss; last output: %r" % (pattern.pattern, timeout, self.buf[-300:]))
            self._read(min(left, 1.0))

    def send(self, text):
        os.write(self.fd, text.encode())

    def run(self, command, timeout):
        """Types command, waits for its end marker and the prompt; returns (output text, exit status)."""
        self.send(command + '; echo "__EN""D__$?"\r')
        before, m = self.expect(re.compile(rb"__END__(\d+)\r*\n"), timeout)
        self.expect(PROMPT, timeout)
        text = before.decode("utf-8", "replace").replace("\r", "")
        # Drop the echoed command line (the shell may wrap it): everything up to its end marker's line end.
        echo = text.rfind('echo "__EN""D__$?"')
        nl = text.find("\n", max(echo, 0))
        text = text[nl + 1:] if nl >= 0 else ""
        return text, int(m.group(1))

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status, rusage = os.wait4(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = os.waitstatus_to_exitcode(status)
                self.rusage = rusage
                return self.status
            try:
                self._read(0.2)
            except Ended:
                time.sleep(0.05)
        return None

    def kill(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.wait_exit(10)


def check(failures, ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def validate(s, args):
    failures = []
    boot_t0 = s.start
    s.expect(PROMPT, args.timeout)
    print("prompt after %.1f s" % (time.monotonic() - boot_t0))
    s.run("stty cols 1000", args.timeout)          # the shell does not wrap the commands we type
    out, rc = s.run("uname -a", args.timeout)
    print(out, end="")
    check(failures, rc == 0 and out.startswith("Linux vmm ") and "Debian" in out, "uname -a")
    out, rc = s.run("cat /proc/cpuinfo", args.timeout)
    print(out, end="")
    check(failures, rc == 0 and "vendor_id" in out and "model name" in out, "/proc/cpuinfo")
    out, rc = s.run("cat /proc/interrupts", args.timeout)
    print(out, end="")
    timer = [ln for ln in out.splitlines() if ln.rstrip().endswith("timer")]
    serial = [ln for ln in out.splitlines() if ln.rstrip().endswith("ttyS0")]
    check(failures, bool(timer) and "IO-APIC" in timer[0], "timer IRQ through the IO-APIC")
    check(failures, bool(serial) and "IO-APIC" in serial[0] and int(serial[0].split()[1]) > 0,
          "serial IRQ counting through the IO-APIC")
    out, rc = s.run("mount", args.timeout)
    print(out, end="")
    check(failures, "devtmpfs on /dev" in out and "proc on /proc" in out and "sysfs on /sys" in out, "mount")
    if args.disk_check:
        out, rc = s.run("mount -t vfat -o ro /dev/sda1 /mnt && cat /mnt/hello.txt && mount | grep sda1", args.timeout)
        print(out, end="")
        check(failures, rc == 0 and "read from /dev/sda1" in out and "/dev/sda1 on /mnt type vfat" in out,
              "file read from the disk")
    out, rc = s.run("dd if=/dev/zero bs=1M count=16 | md5sum", args.timeout)
    print(out, end="")
    check(failures, ZERO_16M_MD5 in out, "dd | md5sum = " + ZERO_16M_MD5)
    out, rc = s.run("dmesg", args.timeout)
    (open(args.dmesg, "w") if args.dmesg else open(os.devnull, "w")).write(out)
    bad = [w for w in DMESG_BAD if w in out]
    check(failures, rc == 0 and "Linux version" in out and not bad, "dmesg clean (found: %s)" % (bad or "none"))
    s.send("poweroff\r")
    status = s.wait_exit(args.timeout)
    check(failures, status == 0, "poweroff ends the VM with status 0 (status %s)" % status)
    return failures


def bench(s, args):
    s.expect(PROMPT, args.timeout)
    prompt = time.monotonic() - s.start
    s.run("stty cols 1000", args.timeout)
    t0 = time.monotonic()
    _, rc1 = s.run(LOOP, args.timeout)
    loop = time.monotonic() - t0
    t0 = time.monotonic()
    out, rc2 = s.run("dd if=/dev/zero bs=1M count=64 2>/dev/null | md5sum", args.timeout)
    md5 = time.monotonic() - t0
    s.send("poweroff\r")
    status = s.wait_exit(args.timeout)
    ok = rc1 == 0 and rc2 == 0 and ZERO_64M_MD5 in out and status == 0
    rss = s.rusage.ru_maxrss if s.rusage else 0
    print("prompt_s=%.2f loop_s=%.2f md5_s=%.2f rss_kib=%d status=%s ok=%s"
          % (prompt, loop, md5, rss, status, ok))
    return [] if ok else ["bench run failed"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", help="copy of everything the console printed")
    ap.add_argument("--dmesg", help="write the guest's dmesg here")
    ap.add_argument("--timeout", type=float, default=600, help="seconds for each step (default 600)")
    ap.add_argument("--disk-check", action="store_true", help="mount /dev/sda1 and read hello.txt")
    ap.add_argument("--bench", action="store_true", help="time the boot, the shell loop and md5sum")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("give the command that runs the guest after --")
    log = open(args.log, "wb") if args.log else None
    s = Session(cmd, log)
    try:
        failures = bench(s, args) if args.bench else validate(s, args)
    except (TimeoutError, Ended) as e:
        failures = ["session: %s" % (e if str(e) else "the command ended early")]
        print("FAIL " + failures[0])
    finally:
        if s.status is None:
            s.kill()
    if failures:
        print("%d check(s) failed: %s" % (len(failures), "; ".join(failures)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Compares two vmm trees (or two sets of JVM options) on the same deterministic boot.

    bench/ab.py [--runs N] [--stop INSTRUCTIONS] [--opts-a=OPTS] [--opts-b=OPTS] TREE_A TREE_B

Boots tiny-i386 (built by guest-images if missing) with --deterministic up to a fixed instruction
count (by default 7,454,209,575, where the guest's shell prompt is), once per tree and run, the
trees alternating (A 1, B 1, A 2, ...) so that a slow spell of a shared host falls on both. Each
tree is a checkout with its own ./vmm launcher, which builds it when its sources changed (before
the timed runs) and runs it with its JVM options; --opts-a and --opts-b add JVM options to one
side through JAVA_TOOL_OPTIONS (write them after '=', as they start with '-'), so TREE_A and TREE_B
may be the same tree.

A deterministic boot executes the same instructions whatever the build does, so the time the vCPU
thread needs for them compares the builds more steadily than wall time, which on a 2-core host
also depends on how long the vCPU waits for a core while HotSpot compiles. Per run it prints the
vCPU thread's CPU seconds (hashing RAM at the end takes about 0.5 s of them, on both sides), wall
seconds, and the CPU seconds of HotSpot's C2 and C1 threads and of G1's threads; then the
medians, the vCPU ratio B/A of the medians and of each pair (A's run k against B's run k), and in
how many pairs B was faster. Both trees must reach the same RAM hash (the SHA-256 of guest RAM at
the stop): the runs are then exactly the same guest execution, and a difference means a bug in
one of the trees, which the script reports as a failure (exit status 1).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import images

PROMPT_INSTRUCTION = 7_454_209_575


def thread_times(pid):
    """CPU seconds (user + system) of each live thread of process pid, by thread id: (name, seconds)."""
    tick = os.sysconf('SC_CLK_TCK')
    times = {}
    try:
        tids = os.listdir(f'/proc/{pid}/task')
    except FileNotFoundError:
        return times
    for tid in tids:
        try:
            with open(f'/proc/{pid}/task/{tid}/stat') as f:
                s = f.read()
        except OSError:
            continue
        name = s[s.index('(') + 1:s.rindex(')')]
        fields = s[s.rindex(')') + 2:].split()
        times[tid] = (name, (int(fields[11]) + int(fields[12])) / tick)
    return times


def boot(tree, opts, kernel, initrd, append, stop):
    """One deterministic boot: (vCPU s, wall s, C2 s, C1 s, GC s, RAM hash)."""
    cmd = [os.path.join(tree, 'vmm'), 'run', '--kernel', kernel, '--initrd', initrd, '--append', append,
           '--memory', '256M', '--deterministic', '--stop-at', str(stop), '--serial', 'none', '--ram-hash']
    env = dict(os.environ)
    env.pop('JAVA_TOOL_OPTIONS', None)
    if opts:
        env['JAVA_TOOL_OPTIONS'] = opts
    # Output to a file, not a pipe: a pipe nobody reads while the threads are sampled would stop
    # the JVM once it filled (JVM options that log to stdout).
    with tempfile.TemporaryFile(mode='w+') as log:
        start = time.monotonic()
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, text=True)
        # The launcher execs the JVM in the same process; the threads are sampled until it exits.
        last = {}
        while p.poll() is None:
            last.update(thread_times(p.pid))
            time.sleep(0.2)
        log.seek(0)
        out = log.read()
    wall = time.monotonic() - start
    m = re.search(r'RAM SHA-256 ([0-9a-f]{64})', out)
    if p.returncode != 0 or not m:
        sys.exit(f'ab.py: {tree} failed (status {p.returncode}):\n{out[-2000:]}')
    groups = {'C2': 0.0, 'C1': 0.0, 'GC': 0.0}
    vcpu = 0.0
    for name, cpu in last.values():
        if name.startswith('C2 Compiler'):
            groups['C2'] += cpu
        elif name.startswith('C1 Compiler'):
            groups['C1'] += cpu
        elif name.startswith(('G1 ', 'GC ')):
            groups['GC'] += cpu
        else:
            vcpu = max(vcpu, cpu)     # the guest's thread: the busiest of the others
    return vcpu, wall, groups['C2'], groups['C1'], groups['GC'], m.group(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--stop', type=int, default=PROMPT_INSTRUCTION, help='instructions to run')
    ap.add_argument('--opts-a', default='', help='JVM options for tree A (JAVA_TOOL_OPTIONS)')
    ap.add_argument('--opts-b', default='', help='JVM options for tree B (JAVA_TOOL_OPTIONS)')
    ap.add_argument('tree_a')
    ap.add_argument('tree_b')
    a = ap.parse_args()
    if a.runs < 1 or a.stop < 1:
        sys.exit('ab.py: --runs and --stop must be positive')
    sides = {'A': (os.path.abspath(a.tree_a), a.opts_a), 'B': (os.path.abspath(a.tree_b), a.opts_b)}
    for tree, _ in sides.values():
        if not os.access(os.path.join(tree, 'vmm'), os.X_OK):
            sys.exit(f'ab.py: {tree} has no ./vmm launcher')
        subprocess.run([os.path.join(tree, 'vmm'), '--version'], check=True, stdout=subprocess.DEVNULL)
    kernel, initrd, append = images.tiny_i386(True, 'ab.py')
    print(f'deterministic tiny-i386 to instruction {a.stop:,}; A = {sides["A"][0]} {sides["A"][1]}; '
          f'B = {sides["B"][0]} {sides["B"][1]}')
    print(f'{"side":4} {"run":>3} {"vcpu_s":>8} {"wall_s":>8} {"c2_s":>7} {"c1_s":>7} {"gc_s":>6}  ram_hash')
    results = {'A': [], 'B': []}
    for run in range(1, a.runs + 1):
        for side, (tree, opts) in sides.items():
            r = boot(tree, opts, kernel, initrd, append, a.stop)
            results[side].append(r)
            print(f'{side:4} {run:3d} {r[0]:8.2f} {r[1]:8.2f} {r[2]:7.2f} {r[3]:7.2f} {r[4]:6.2f}  {r[5][:16]}',
                  flush=True)
    print('medians:')
    for side in sides:
        cols = list(zip(*results[side]))
        print(f'{side:4} {"":3} ' + ' '.join(f'{statistics.median(cols[k]):{w}.2f}'
                                             for k, w in ((0, 8), (1, 8), (2, 7), (3, 7), (4, 6))))
    va = statistics.median(r[0] for r in results['A'])
    vb = statistics.median(r[0] for r in results['B'])
    pairs = [b[0] / a[0] for a, b in zip(results['A'], results['B'])]
    print(f'vCPU B/A: {vb / va:.3f} (medians); per pair ' + ' '.join(f'{p:.3f}' for p in pairs)
          + f', median {statistics.median(pairs):.3f}, B faster in {sum(p < 1 for p in pairs)} of {len(pairs)}')
    hashes = {r[5] for side in results.values() for r in side}
    if len(hashes) != 1:
        print('ab.py: the RAM hashes differ: the two sides did not execute the same guest', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()

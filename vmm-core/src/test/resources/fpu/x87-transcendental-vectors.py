#!/usr/bin/env python3
"""Reference vectors for the x87 transcendental functions (F80Trans), from Python's decimal
module at 120 significant digits (about 400 bits) and exact rational rounding: an oracle that
shares no code with the emulator. FSIN/FCOS/FPTAN reduce with the 66-bit pi of the hardware
(pi * 2^64 rounded to an integer), exactly, like the processor.

Output (x87-transcendental-vectors.txt), one vector per line:
  OP RC X [Y] -> R C1
OP in SIN COS TAN F2XM1 FYL2X FYL2XP1 FPATAN; RC 0..3 (nearest, down, up, zero); values are
SE:SIGNIFICAND in hex (sign/exponent word, 64-bit significand); X = ST(0), Y = ST(1);
C1 = 1 if the result was rounded up in magnitude. Run: python3 x87-transcendental-vectors.py > x87-transcendental-vectors.txt
"""
import random
from decimal import Decimal, getcontext
from fractions import Fraction

getcontext().prec = 120
EPS = Decimal(10) ** -118


def atan_small(x):                      # |x| <= 1/2
    s = t = x
    k = 1
    while True:
        t = -t * x * x
        d = t / (2 * k + 1)
        k += 1
        if abs(d) < EPS:
            return s
        s += d


PI = 16 * atan_small(Decimal(1) / 5) - 4 * atan_small(Decimal(1) / 239)
LN2 = Decimal(2).ln()
K66 = int((PI * (Decimal(2) ** 64)).to_integral_value())
PI66_HALF = Fraction(K66, 2 ** 65)


def dec(fr):
    return Decimal(fr.numerator) / Decimal(fr.denominator)


def sin_cos(r):                         # |r| <= pi/4
    s = t = r
    k = 1
    while abs(t) > EPS:
        t = -t * r * r / ((2 * k) * (2 * k + 1))
        s += t
        k += 1
    c = t = Decimal(1)
    k = 1
    while abs(t) > EPS:
        t = -t * r * r / ((2 * k - 1) * (2 * k))
        c += t
        k += 1
    return s, c


def atan(x):                            # any x
    neg = x < 0
    x = abs(x)
    inv = x > 1
    if inv:
        x = 1 / x
    for _ in range(3):                  # atan(x) = 2 atan(x / (1 + sqrt(1 + x^2)))
        x = x / (1 + (1 + x * x).sqrt())
    a = 8 * atan_small(x)
    if inv:
        a = PI / 2 - a
    return -a if neg else a


def value(se, sig):
    e = (se & 0x7FFF) - 16383
    v = Fraction(sig, 2 ** 63) * (Fraction(2) ** e)
    return -v if se & 0x8000 else v


def rnd(v, rc):
    """Rounds a nonzero Decimal to 64 bits (normal range): (se, sig, c1)."""
    f = Fraction(v)
    neg = f < 0
    a = -f if neg else f
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    m = a / (Fraction(2) ** (e - 63))
    q = m.numerator // m.denominator
    rem = m - q
    up = rem != 0 and (rc == 0 and (rem > Fraction(1, 2) or (rem == Fraction(1, 2) and q & 1))
                       or rc == 1 and neg or rc == 2 and not neg)
    if up:
        q += 1
        if q == 2 ** 64:
            q >>= 1
            e += 1
    return ((0x8000 if neg else 0) | (e + 16383), q, 1 if up else 0)


def trig(op, x):
    neg = x < 0
    ax = -x if neg else x
    n = round(ax / PI66_HALF)
    r = ax - n * PI66_HALF
    s, c = sin_cos(dec(r))
    q = n % 4
    if op == 'SIN':
        v = [s, c, -s, -c][q]
        return -v if neg else v
    if op == 'COS':
        return [c, -s, -c, s][q]
    v = s / c if q % 2 == 0 else -c / s
    return -v if neg else v


def rand_val(rng, lo, hi, sign=None):
    e = rng.randint(lo, hi)
    s = (rng.random() < 0.5) if sign is None else sign
    return ((0x8000 if s else 0) | (e + 16383), rng.getrandbits(64) | (1 << 63))


def fmt(v):
    return '%04X:%016X' % v


def main():
    rng = random.Random(87)
    out = []
    for _ in range(60):
        x = rand_val(rng, -40, 62) if rng.random() < 0.8 else rand_val(rng, 0, 1)
        for op in ('SIN', 'COS', 'TAN'):
            rc = rng.randint(0, 3)
            out.append('%s %d %s -> %s %d' % (op, rc, fmt(x), fmt(rnd(trig(op, value(*x)), rc)[:2]),
                                                rnd(trig(op, value(*x)), rc)[2]))
    for _ in range(60):
        x = rand_val(rng, -60, -1)
        rc = rng.randint(0, 3)
        xv = dec(value(*x))
        r = rnd((xv * LN2).exp() - 1, rc)
        out.append('F2XM1 %d %s -> %s %d' % (rc, fmt(x), fmt(r[:2]), r[2]))
    for _ in range(60):
        x = rand_val(rng, -100, 100, False)
        y = rand_val(rng, -20, 20)
        rc = rng.randint(0, 3)
        r = rnd(dec(value(*y)) * dec(value(*x)).ln() / LN2, rc)
        out.append('FYL2X %d %s %s -> %s %d' % (rc, fmt(x), fmt(y), fmt(r[:2]), r[2]))
    for _ in range(60):
        x = rand_val(rng, -60, -3)
        y = rand_val(rng, -20, 20)
        rc = rng.randint(0, 3)
        r = rnd(dec(value(*y)) * (1 + dec(value(*x))).ln() / LN2, rc)
        out.append('FYL2XP1 %d %s %s -> %s %d' % (rc, fmt(x), fmt(y), fmt(r[:2]), r[2]))
    for _ in range(60):
        x = rand_val(rng, -30, 30)
        y = rand_val(rng, -30, 30)
        rc = rng.randint(0, 3)
        xv, yv = dec(value(*x)), dec(value(*y))
        a = atan(yv / xv)
        if xv < 0:
            a = a + PI if yv > 0 else a - PI
        r = rnd(a, rc)
        out.append('FPATAN %d %s %s -> %s %d' % (rc, fmt(x), fmt(y), fmt(r[:2]), r[2]))
    print('\n'.join(out))


main()

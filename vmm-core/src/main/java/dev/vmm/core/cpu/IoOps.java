package dev.vmm.core.cpu;

import java.util.Map;

/** Port I/O: IN and OUT (Intel SDM vol. 2). */
final class IoOps {
    private IoOps() {
    }

    static void register(Map<String, Handler> m) {
        m.put("IN", IoOps::in);
        m.put("OUT", IoOps::out);
    }

    /** IN AL/eAX, Ib|DX: the width is that of the accumulator operand. */
    static void in(Cpu c, Insn i) {
        int size = i.w1;
        int port = (int) c.op2(i) & 0xFFFF;
        c.checkIo(port, size);
        c.setOp1(i, Cpu.mask(c.io.read(port, size), size));
    }

    /** OUT Ib|DX, AL/eAX. */
    static void out(Cpu c, Insn i) {
        int size = i.w2;
        int port = (int) c.op1(i) & 0xFFFF;
        c.checkIo(port, size);
        c.io.write(port, size, (int) c.op2(i));
    }
}

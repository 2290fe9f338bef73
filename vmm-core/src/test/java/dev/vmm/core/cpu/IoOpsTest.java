package dev.vmm.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vmm.core.bus.PortIoDevice;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IoOpsTest {
    private static final long CODE = 0x10000;
    private static final long HANDLER = 0x11000;

    /** Reads return 0xA0B0C0D0 (cut to the access width by the bus); writes are recorded. */
    static final class TestPort implements PortIoDevice {
        final List<String> log = new ArrayList<>();

        @Override
        public int ioRead(int port, int size) {
            log.add("r" + Integer.toHexString(port) + "/" + size);
            return 0xA0B0C0D0;
        }

        @Override
        public void ioWrite(int port, int size, int value) {
            log.add("w" + Integer.toHexString(port) + "/" + size + "=" + Integer.toHexString(value));
        }
    }

    private static CpuFault tryStep(Cpu c) {
        return StackOpsTest.tryStep(c);
    }

    private static CpuFixture flat(TestPort dev, int... code) {
        CpuFixture f = new CpuFixture();
        f.load(CODE, code).flat32(CODE);
        f.io.register(0x70, 0x10, "test", dev);
        f.io.register(0x3F8, 0x10, "test-hi", dev);
        return f;
    }

    /** Switches the flat fixture to ring 3 (IOPL stays as the flags say). */
    private static void ring3(CpuFixture f) {
        f.loadSeg(Cpu.CS, 0x2B);
        f.loadSeg(Cpu.SS, 0x33);
        f.loadSeg(Cpu.DS, 0x33);
        f.cpu.r[Cpu.ESP] = 0x7000;
    }

    private static void deny(CpuFixture f, int port) {
        long at = CpuFixture.TSS + 0x68 + (port >>> 3);
        f.mem.write8(at, f.mem.read8(at) | 1 << (port & 7));
    }

    @Test
    void inAndOutWithImmediatePort() {
        // in al, 0x71 ; out 0x72, al ; in eax, 0x71 ; out 0x73, eax
        try (CpuFixture f = flat(new TestPort(), 0xE4, 0x71, 0xE6, 0x72, 0xE5, 0x71, 0xE7, 0x73)) {
            TestPort dev = (TestPort) f.io.ranges().getFirst().device();
            Cpu c = f.cpu;
            c.r[Cpu.EAX] = 0x1234_5678L;
            c.step();
            assertEquals(0x1234_56D0L, c.r[Cpu.EAX]);
            c.step();
            c.step();
            assertEquals(0xA0B0C0D0L, c.r[Cpu.EAX]);
            c.step();
            assertEquals(List.of("r71/1", "w72/1=d0", "r71/4", "w73/4=a0b0c0d0"), dev.log);
            assertEquals(CODE + 8, c.rip);
        }
    }

    @Test
    void inAndOutWithDxPort() {
        // in ax, dx ; out dx, ax ; in al, dx ; out dx, eax
        try (CpuFixture f = flat(new TestPort(), 0x66, 0xED, 0x66, 0xEF, 0xEC, 0xEF)) {
            TestPort dev = (TestPort) f.io.ranges().getFirst().device();
            Cpu c = f.cpu;
            c.r[Cpu.EAX] = 0xFFFF_FFFFL;
            c.r[Cpu.EDX] = 0xABCD_03F9L;   // only DX is the port
            c.step();
            assertEquals(0xFFFF_C0D0L, c.r[Cpu.EAX]);
            c.step();
            c.step();
            assertEquals(0xFFFF_C0D0L, c.r[Cpu.EAX]);
            c.step();
            assertEquals(List.of("r3f9/2", "w3f9/2=c0d0", "r3f9/1", "w3f9/4=ffffc0d0"), dev.log);
        }
    }

    @Test
    void realModeHasNoIoChecks() {
        try (CpuFixture f = new CpuFixture()) {
            TestPort dev = new TestPort();
            f.io.register(0x70, 2, "test", dev);
            f.load(0x7C00, 0xE6, 0x70).real(0, 0x7C00);
            f.cpu.r[Cpu.EAX] = 0x42;
            f.cpu.step();
            assertEquals(List.of("w70/1=42"), dev.log);
        }
    }

    @Test
    void cpl3WithIopl0IsCheckedAgainstTheTssBitmap() {
        // out 0x71, al at CPL 3, IOPL 0: allowed while the bitmap bit is clear
        try (CpuFixture f = flat(new TestPort(), 0xE6, 0x71, 0xE6, 0x71)) {
            TestPort dev = (TestPort) f.io.ranges().getFirst().device();
            ring3(f);
            assertNull(tryStep(f.cpu));
            assertEquals(List.of("w71/1=0"), dev.log);
            deny(f, 0x71);
            CpuFault fault = tryStep(f.cpu);
            assertNotNull(fault);
            assertEquals(Exceptions.GP, fault.vector());
            assertEquals(0, fault.errorCode());
            assertEquals(CODE + 2, f.cpu.rip);
            assertEquals(1, dev.log.size(), "the denied OUT did not reach the device");
        }
    }

    @Test
    void deniedInAtCpl3DeliversGpToTheRing0Handler() {
        // in al, dx at CPL 3 with the port denied: #GP(0) through the IDT onto the ring-0 stack
        try (CpuFixture f = flat(new TestPort(), 0xEC)) {
            TestPort dev = (TestPort) f.io.ranges().getFirst().device();
            Cpu c = f.cpu;
            f.load(HANDLER, 0xF4);
            f.setGate(Exceptions.GP, 0x08, HANDLER, 0xE, 0);
            ring3(f);
            deny(f, 0x75);
            c.r[Cpu.EDX] = 0x75;
            c.r[Cpu.EAX] = 0x99;
            assertEquals(Cpu.Exit.HALT, f.run(10));
            assertEquals(HANDLER + 1, c.rip);
            assertEquals(0, c.cpl);
            assertEquals(0x9000 - 24, c.r[Cpu.ESP]);
            assertEquals(0, f.mem.read32(0x8FE8), "error code 0");
            assertEquals(CODE, f.mem.read32(0x8FEC), "EIP of the IN");
            assertEquals(0x2B, f.mem.read32(0x8FF0));
            assertEquals(0x7000, f.mem.read32(0x8FF8));
            assertEquals(0x33, f.mem.read32(0x8FFC));
            assertEquals(0x99, c.r[Cpu.EAX]);
            assertEquals(List.of(), dev.log);
        }
    }

    @Test
    void everyByteOfAWideAccessIsChecked() {
        // in ax, dx at port 0x3FF: the bit of port 0x400 denies it; a byte access at 0x3FF is fine
        try (CpuFixture f = flat(new TestPort(), 0x66, 0xED, 0xEC)) {
            ring3(f);
            deny(f, 0x400);
            f.cpu.r[Cpu.EDX] = 0x3FF;
            CpuFault fault = tryStep(f.cpu);
            assertNotNull(fault);
            assertEquals(Exceptions.GP, fault.vector());
            f.cpu.rip = CODE + 2;
            assertNull(tryStep(f.cpu));
            assertEquals(0xD0, f.cpu.r[Cpu.EAX] & 0xFF);
        }
    }

    @Test
    void iopl3AtCpl3SkipsTheBitmap() {
        try (CpuFixture f = flat(new TestPort(), 0xE6, 0x71)) {
            TestPort dev = (TestPort) f.io.ranges().getFirst().device();
            ring3(f);
            f.cpu.flags.set(Flags.IOPL | 2);
            deny(f, 0x71);
            assertNull(tryStep(f.cpu));
            assertEquals(List.of("w71/1=0"), dev.log);
        }
    }

    @Test
    void v86ModeAlwaysConsultsTheBitmap() {
        try (CpuFixture f = flat(new TestPort(), 0xE6, 0x71)) {
            Cpu c = f.cpu;
            c.flags.set(Flags.VM | Flags.IOPL | 2);
            for (int s = 0; s < 6; s++) {
                int sel = s == Cpu.CS ? 0x1000 : 0;
                c.seg[s].set(sel, (long) sel << 4, 0xFFFF, Segment.A_P | Segment.A_S | Segment.A_RW | 0x60);
            }
            c.cpl = 3;
            c.rip = 0;
            deny(f, 0x71);
            CpuFault fault = tryStep(c);
            assertNotNull(fault);
            assertEquals(Exceptions.GP, fault.vector());
            assertEquals(0, fault.errorCode());
        }
    }

    @Test
    void waitRaisesNmOnlyWithMpAndTs() {
        try (CpuFixture f = flat(new TestPort(), 0x9B, 0x9B, 0x9B)) {
            Cpu c = f.cpu;
            c.cr0 |= Cpu.CR0_TS;
            assertNull(tryStep(c), "TS without MP");
            c.cr0 = (c.cr0 & ~Cpu.CR0_TS) | Cpu.CR0_MP;
            assertNull(tryStep(c), "MP without TS");
            c.cr0 |= Cpu.CR0_TS;
            CpuFault fault = tryStep(c);
            assertNotNull(fault);
            assertEquals(Exceptions.NM, fault.vector());
            assertEquals(-1, fault.errorCode());
            assertEquals(CODE + 2, c.rip);
        }
    }
}

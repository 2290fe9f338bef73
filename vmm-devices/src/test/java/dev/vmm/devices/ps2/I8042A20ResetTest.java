package dev.vmm.devices.ps2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A20 through the output port, 0xDD/0xDF and port 0x92; reset through all three. */
class I8042A20ResetTest {
    private final I8042Harness h = new I8042Harness();

    @Test
    void powerOnHasA20Enabled() {
        assertTrue(h.gate.enabled());
        assertTrue(h.kbc.a20());
        assertFalse(h.port92.a20());
        assertArrayEquals(new int[] {I8042.POWER_ON_OUTPUT_PORT}, h.i8042Command(0x01D0));
        assertEquals(0, h.bus.read(Port92.PORT, 1));
    }

    @Test
    void outputPortA20ReachesTheGate() {
        h.command(0xD1);
        h.data(0xDD);                                        // the classic "A20 off"
        assertEquals(List.of(false), h.cpuA20);
        assertArrayEquals(new int[] {0xCD}, h.i8042Command(0x01D0));
        // Linux arch/x86/boot/a20.c: 0xD1, 0xDF, then the 0xFF null command.
        h.command(0xD1);
        h.data(0xDF);
        h.command(0xFF);
        assertEquals(List.of(false, true), h.cpuA20);
        assertEquals(0, h.resets, "0xFF pulses no line");
        h.command(0xDD);
        h.command(0xDF);
        h.command(0xDF);
        assertEquals(List.of(false, true, false, true), h.cpuA20);
    }

    @Test
    void outputPortBitsShowTheBufferSource() {
        h.writeCtr(I8042.CTR_KBDDIS);
        h.command(0xD3);
        h.data(0x11);                                        // mouse byte in the buffer
        h.command(0xD0);                                     // answer waits behind it
        assertEquals(0x11, h.read(true));
        assertEquals(0xCF | 0x20, h.read(false), "bit 5: mouse data was in the buffer");
    }

    @Test
    void port92FastA20IsOredWithTheController() {
        h.command(0xDD);
        assertEquals(List.of(false), h.cpuA20);
        h.bus.write(Port92.PORT, 1, Port92.FAST_A20);
        assertEquals(List.of(false, true), h.cpuA20);
        assertEquals(Port92.FAST_A20, h.bus.read(Port92.PORT, 1));
        h.command(0xDF);                                     // both ask: no change seen
        h.bus.write(Port92.PORT, 1, 0);
        assertEquals(List.of(false, true), h.cpuA20);
        h.command(0xDD);
        assertEquals(List.of(false, true, false), h.cpuA20);
        assertEquals(0, h.resets);
    }

    @Test
    void resetThroughPulseOutputPortAndPort92() {
        h.command(0xFE);
        assertEquals(1, h.resets);
        h.command(0xFD);                                     // pulses A20 only
        h.command(0xF0 | 0x0E);
        assertEquals(2, h.resets);
        h.command(0xD1);
        h.data(0xDE);                                        // reset low, A20 kept on
        assertEquals(3, h.resets);
        assertTrue(h.gate.enabled());
        assertArrayEquals(new int[] {0xCF}, h.i8042Command(0x01D0), "reset line high again");

        h.bus.write(Port92.PORT, 1, Port92.FAST_RESET | Port92.FAST_A20);
        assertEquals(4, h.resets);
        h.bus.write(Port92.PORT, 1, Port92.FAST_RESET | Port92.FAST_A20);
        assertEquals(4, h.resets, "bit 0 must go through 0 first");
        h.bus.write(Port92.PORT, 1, Port92.FAST_A20);
        h.bus.write(Port92.PORT, 1, Port92.FAST_RESET | Port92.FAST_A20);
        assertEquals(5, h.resets);
    }

    @Test
    void sysFlagSurvivesTheControllersOwnReset() {
        h.i8042Command(0x01AA);
        h.command(0xFE);
        assertEquals(1, h.resets);
        assertEquals(I8042.STR_SYS, h.status() & I8042.STR_SYS, "warm boot is visible");
        h.kbc.powerOn();
        assertEquals(0, h.status() & I8042.STR_SYS);
    }

    @Test
    void powerOnRestoresA20AndCommandByte() {
        h.command(0xDD);
        h.writeCtr(0x61);
        h.bus.write(Port92.PORT, 1, 0x03);
        h.kbc.powerOn();
        h.port92.powerOn();
        assertEquals(I8042.POWER_ON_CTR, h.kbc.commandByte());
        assertTrue(h.gate.enabled());
        assertEquals(0, h.bus.read(Port92.PORT, 1));
    }

    @Test
    void gateConnectTellsTheCurrentLevel() {
        A20Gate g = new A20Gate();
        List<Boolean> seen = new java.util.ArrayList<>();
        g.setFromI8042(false);
        g.connect(seen::add);
        assertEquals(List.of(false), seen);
        g.setFromPort92(true);
        assertEquals(List.of(false, true), seen);
    }
}

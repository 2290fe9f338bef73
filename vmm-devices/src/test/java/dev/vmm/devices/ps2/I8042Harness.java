package dev.vmm.devices.ps2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vmm.core.bus.PioBus;
import dev.vmm.devices.testutil.DetClock;
import dev.vmm.devices.testutil.RecordingLine;
import java.util.ArrayList;
import java.util.List;

/**
 * An i8042 with its A20 gate and port 0x92 on a port bus, and the polling primitives of the
 * Linux and SeaBIOS drivers (wait for IBF clear before writing, for OBF before reading).
 */
final class I8042Harness {
    final DetClock t = new DetClock();
    final RecordingLine irq1 = new RecordingLine(t.clock);
    final RecordingLine irq12 = new RecordingLine(t.clock);
    final List<Boolean> cpuA20 = new ArrayList<>();
    final A20Gate gate = new A20Gate(cpuA20::add);
    int resets;
    final I8042 kbc = new I8042(irq1, irq12, gate::setFromI8042, () -> resets++);
    final Port92 port92 = new Port92(gate::setFromPort92, () -> resets++);
    final PioBus bus = new PioBus();

    I8042Harness() {
        kbc.attach(bus);
        port92.attach(bus);
    }

    int status() {
        return bus.read(I8042.STATUS_PORT, 1);
    }

    boolean obf() {
        return (status() & I8042.STR_OBF) != 0;
    }

    private void waitWrite() {
        assertEquals(0, status() & I8042.STR_IBF, "IBF must be clear before a write");
    }

    void command(int c) {
        waitWrite();
        bus.write(I8042.STATUS_PORT, 1, c);
    }

    void data(int v) {
        waitWrite();
        bus.write(I8042.DATA_PORT, 1, v);
    }

    /** i8042_wait_read + inb(0x60): the byte must be there. */
    int read() {
        assertTrue(obf(), "OBF expected");
        return bus.read(I8042.DATA_PORT, 1);
    }

    /** Reads a byte and checks which port it came from. */
    int read(boolean aux) {
        int st = status();
        assertTrue((st & I8042.STR_OBF) != 0, "OBF expected");
        assertEquals(aux, (st & I8042.STR_AUXDATA) != 0, "AUXB");
        return bus.read(I8042.DATA_PORT, 1);
    }

    /** Linux i8042_command: bits 12-15 count parameters sent, bits 8-11 bytes received. */
    int[] i8042Command(int command, int... params) {
        int send = (command >> 12) & 0xF;
        int receive = (command >> 8) & 0xF;
        assertEquals(send, params.length, "parameter count");
        command(command & 0xFF);
        for (int p : params) {
            data(p);
        }
        int[] out = new int[receive];
        for (int i = 0; i < receive; i++) {
            out[i] = read();
        }
        return out;
    }

    /** Linux i8042_flush: reads until OBF clears; fails after 16 bytes. */
    List<Integer> flush() {
        List<Integer> got = new ArrayList<>();
        while (obf()) {
            if (got.size() >= 16) {
                fail("flush: more than 16 bytes, Linux gives up (\"No controller found\")");
            }
            got.add(bus.read(I8042.DATA_PORT, 1));
        }
        return got;
    }

    int ctr() {
        return i8042Command(0x0120)[0];
    }

    void writeCtr(int v) {
        i8042Command(0x1060, v);
    }

    /** Sends one byte to the mouse (0xD4) and returns the ACK. */
    int mouseSend(int b) {
        i8042Command(0x10D4, b);
        return read(true);
    }

    /** Everything waiting in the output buffer, with AUXB in bit 8. */
    List<Integer> drain() {
        List<Integer> got = new ArrayList<>();
        while (obf()) {
            int st = status();
            got.add(bus.read(I8042.DATA_PORT, 1) | ((st & I8042.STR_AUXDATA) != 0 ? 0x100 : 0));
        }
        return got;
    }

    static List<Integer> list(int... v) {
        List<Integer> l = new ArrayList<>();
        for (int x : v) {
            l.add(x);
        }
        return l;
    }
}

package dev.vmm.devices.debug;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vmm.core.bus.PioBus;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** isa-debugcon at 0xE9 and isa-debug-exit at 0xF4, as firmware and test kernels use them. */
class DebugDevicesTest {
    private final PioBus bus = new PioBus();

    @Test
    void debugConsoleAppendsBytesAndReadsBackE9() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        new DebugConsole(sink).attach(bus);
        assertEquals(0xE9, bus.read(0xE9, 1), "SeaBIOS checks for the readback");
        for (char c : "SeaBIOS (version 1.16)\n".toCharArray()) {
            bus.write(0xE9, 1, c);
        }
        bus.write(0xE9, 2, 0x4241);             // a 16-bit OUT: only the byte at 0xE9
        assertEquals("SeaBIOS (version 1.16)\nA", sink.toString(StandardCharsets.US_ASCII));
        assertEquals(0xFFE9, bus.read(0xE9, 2));
    }

    @Test
    void debugExitReportsOddStatusForEveryWidth() {
        List<Integer> exits = new ArrayList<>();
        new DebugExit(exits::add).attach(bus);
        bus.write(0xF4, 1, 0x00);
        bus.write(0xF4, 1, 0x10);
        bus.write(0xF4, 2, 0x1234);
        bus.write(0xF4, 4, 0x00ABCDEF);
        bus.write(0xF7, 1, 0x01);               // anywhere in the iosize=4 range
        assertEquals(List.of(1, 0x21, 0x2469, 0x0157_9BDF, 3), exits);
        assertEquals(0, bus.read(0xF4, 1));
        assertEquals(0xFF, bus.read(0xF8, 1), "0xF8 is not ours");
    }

    @Test
    void debugExitAtQemuDefaults() {
        List<Integer> exits = new ArrayList<>();
        new DebugExit(0x501, 2, exits::add).attach(bus);
        bus.write(0x502, 1, 0x7F);
        assertEquals(List.of(0xFF), exits);
    }
}

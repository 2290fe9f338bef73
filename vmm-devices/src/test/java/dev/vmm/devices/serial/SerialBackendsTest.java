package dev.vmm.devices.serial;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** File, stream and null backends behind a UART. */
class SerialBackendsTest {
    @TempDir
    Path dir;

    private static void print(UartHarness h, String s) {
        for (char c : s.toCharArray()) {
            h.out(UartHarness.THR, c);
        }
    }

    @Test
    void fileBackendCapturesOutputFlushedAsItComes() throws Exception {
        Path log = dir.resolve("console.log");
        Files.writeString(log, "old run\n");
        try (FileBackend file = new FileBackend(log, false)) {
            UartHarness h = new UartHarness(new dev.vmm.devices.testutil.DetClock(), file);
            h.linuxSetup();
            print(h, "[    0.000000] Linux version 6.1.0\r\n");
            assertEquals("[    0.000000] Linux version 6.1.0\r\n", Files.readString(log),
                    "truncated at open; readable while the guest runs");
        }
        try (FileBackend file = new FileBackend(log, true)) {
            UartHarness h = new UartHarness(new dev.vmm.devices.testutil.DetClock(), file);
            print(h, "login: ");
        }
        assertEquals("[    0.000000] Linux version 6.1.0\r\nlogin: ", Files.readString(log));
    }

    @Test
    void closedFileBackendDropsOutput() throws Exception {
        Path log = dir.resolve("c.log");
        FileBackend file = new FileBackend(log, false);
        file.write('a');
        file.close();
        file.write('b');
        file.close();
        assertEquals("a", Files.readString(log));
    }

    @Test
    void streamBackendWritesToItsStream() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StreamBackend s = new StreamBackend(null, out, "stdio");
        UartHarness h = new UartHarness(new dev.vmm.devices.testutil.DetClock(), s);
        print(h, "ok\n");
        s.close();
        print(h, "dropped");
        assertEquals("ok\n", out.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void nullBackendDiscards() {
        UartHarness h = new UartHarness(new dev.vmm.devices.testutil.DetClock(), new NullBackend());
        print(h, "into the void");
        assertEquals(0x60, h.in(UartHarness.LSR));
    }

    @Test
    void comPorts() {
        assertEquals(0x3F8, ComPort.COM1.base());
        assertEquals(4, ComPort.COM1.irq());
        assertEquals(0x2F8, ComPort.COM2.base());
        assertEquals(3, ComPort.COM2.irq());
        assertEquals(0x3E8, ComPort.COM3.base());
        assertEquals(4, ComPort.COM3.irq());
        assertEquals(0x2E8, ComPort.COM4.base());
        assertEquals(3, ComPort.COM4.irq());
    }
}

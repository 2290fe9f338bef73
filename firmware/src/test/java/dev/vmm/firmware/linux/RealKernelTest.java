package dev.vmm.firmware.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.memory.PhysicalMemory;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Parses and places a real distribution kernel (no boot): the file named by the system property
 * {@code vmm.kernel}, else the first readable vmlinuz-* in ~/.cache/vmm/kernels (where .ci/run puts
 * Debian's kernel) or /boot. Skipped when there is none.
 */
class RealKernelTest {
    @Test
    void parsesAndPlacesARealKernel() throws IOException {
        Path kernel = findKernel();
        assumeTrue(kernel != null, "no kernel file: set -Dvmm.kernel=/path/to/vmlinuz, or put one in ~/.cache/vmm/kernels (.ci/run does) or /boot");
        BzImage k = BzImage.read(kernel);
        assertTrue(k.protocolVersion() >= 0x020A, "protocol " + k.protocolString());
        assertTrue((k.loadflags() & BzImage.LOADED_HIGH) != 0);
        assertTrue(k.relocatable());
        assertTrue(k.initSize() > k.protectedModeSize(), "init_size covers the decompressed kernel");
        long ram = 512L << 20;
        try (PhysicalMemory mem = PhysicalMemory.create(ram)) {
            Cpu cpu = new Cpu(mem, new PioBus());
            LinuxLoader.Layout l = LinuxLoader.load(mem, cpu, k, "console=ttyS0", new byte[4 << 20],
                    E820Entry.defaultMap(ram));
            assertEquals(0x100000, cpu.rip);
            assertTrue(l.initrdBase() >= l.kernelEnd());
            assertEquals(k.protectedModeKernel()[0] & 0xFF, mem.read8(0x100000));
            assertEquals(0x53726448, mem.read32(l.bootParams() + 0x202));
        }
    }

    private static Path findKernel() throws IOException {
        String prop = System.getProperty("vmm.kernel");
        if (prop != null && !prop.isBlank()) {
            Path p = Path.of(prop);
            return Files.isReadable(p) ? p : null;
        }
        // .ci/run puts a Debian kernel in the cache; a developer's machine may have one in /boot.
        for (Path dir : new Path[] {Path.of(System.getProperty("user.home"), ".cache", "vmm", "kernels"), Path.of("/boot")}) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "vmlinuz-*")) {
                for (Path p : ds) {
                    if (Files.isReadable(p) && Files.isRegularFile(p)) {
                        return p;
                    }
                }
            }
        }
        return null;
    }
}

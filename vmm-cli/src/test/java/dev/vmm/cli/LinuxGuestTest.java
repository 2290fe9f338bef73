package dev.vmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.vmm.images.GuestImages;
import dev.vmm.images.ImageManifest;

/**
 * Issue 7: Debian's i386 kernel boots to a shell through {@code vmm run}, by both paths (the kernel loaded
 * directly, and the BIOS booting SYSLINUX from the disk), and the commands typed on the serial console give what
 * a real PC gives. The images come from the cache ({@code vmm images build}; {@code .ci/run} builds them); the
 * tests skip when they are absent. Time bounds are generous limits, not performance checks. The console output
 * is kept in {@code target/linux-guest/}.
 */
class LinuxGuestTest {

    private static final Duration BOOT = Duration.ofMinutes(20);
    private static final Duration COMMAND = Duration.ofMinutes(10);
    private static final String ZERO_16M_MD5 = "2c7ab85a893283e98c931e9511add182";
    /**
     * "Marking TSC unstable" and "as unstable" are what the 6.1 clocksource watchdog prints when it
     * drops the TSC ("Marking clocksource 'tsc' as unstable because the skew is too large").
     */
    private static final List<String> DMESG_BAD = List.of("BUG", "Oops", "WARNING", "panic", "unknown opcode",
            "invalid opcode", "timer doesn't work", "clocksource unstable", "Marking TSC unstable", "as unstable");
    private static final Path LOGS = Path.of("target", "linux-guest");

    private final GuestImages images = GuestImages.fromEnvironment();

    private ImageManifest ready(String name) {
        GuestImages.Status s = images.status(name);
        assumeTrue(s == GuestImages.Status.OK, () -> "guest image " + name + " is " + s.label() + " in "
                + images.dir() + ": build it with ./vmm images build (CI does it in .ci/run); skipping");
        return images.manifest(name).orElseThrow();
    }

    @Test
    void kernelBootedDirectlyReachesAWorkingShell() throws IOException {
        ImageManifest tiny = ready("tiny-i386");
        ImageManifest disk = ready("disk-i386");
        session("kernel", tiny, disk, List.of(
                "--kernel", tiny.file("boot.kernel").orElseThrow().toString(),
                "--initrd", tiny.file("boot.initrd").orElseThrow().toString(),
                "--append", tiny.require("boot.append"),
                "--disk", disk.file("boot.disk").orElseThrow().toString(),
                "--memory", "256M"));
    }

    @Test
    void diskBootedThroughTheBiosReachesAWorkingShell() throws IOException {
        ImageManifest tiny = ready("tiny-i386");
        ImageManifest disk = ready("disk-i386");
        session("disk", tiny, disk, List.of(
                "--disk", disk.file("boot.disk").orElseThrow().toString(),
                "--memory", "256M"));
    }

    private void session(String name, ImageManifest tiny, ImageManifest disk, List<String> args) throws IOException {
        try (GuestConsole c = GuestConsole.start(LOGS.resolve(name + ".log"), args)) {
            c.expect(GuestConsole.PROMPT, BOOT);
            c.run("stty cols 1000", COMMAND);         // the shell does not wrap the commands we type

            String uname = c.run("uname -a", COMMAND);
            assertTrue(uname.startsWith("Linux vmm " + tiny.kernelVersion().orElseThrow() + " #1 SMP "), uname);
            assertTrue(uname.contains(" Debian " + tiny.kernelPackageVersion().orElseThrow() + " "), uname);
            assertTrue(uname.strip().endsWith(" GNU/Linux"), uname);

            String cpuinfo = c.run("cat /proc/cpuinfo", COMMAND);
            assertTrue(Pattern.compile("(?m)^vendor_id\\s*: VMM-JavaCore$").matcher(cpuinfo).find(), cpuinfo);

            String irqs = c.run("cat /proc/interrupts", COMMAND);
            assertCountsThroughIoApic(irqs, "timer");
            assertCountsThroughIoApic(irqs, "ttyS0");

            String mounts = c.run("mount", COMMAND);
            for (String m : List.of("proc on /proc type proc", "sysfs on /sys type sysfs",
                    "devtmpfs on /dev type devtmpfs")) {
                assertTrue(mounts.contains(m), () -> m + " in:\n" + mounts);
            }
            String text = c.run("mount -t vfat -o ro " + disk.require("disk.partition") + " /mnt && cat /mnt"
                    + disk.require("testfile.path"), COMMAND);
            assertEquals(disk.require("testfile.text") + "\n", text);
            String mounted = c.run("mount", COMMAND);
            assertTrue(mounted.contains(disk.require("disk.partition") + " on /mnt type vfat (ro,"), mounted);
            // Megabytes from the disk: the kernel file, compared with the one the image was built from.
            String sha = c.run("sha256sum /mnt/vmlinuz", COMMAND);
            assertEquals(tiny.require("output.vmlinuz.sha256") + "  /mnt/vmlinuz\n", sha);

            String md5 = c.run("dd if=/dev/zero bs=1M count=16 2>/dev/null | md5sum", COMMAND);
            assertEquals(ZERO_16M_MD5 + "  -\n", md5);

            String dmesg = c.run("dmesg", COMMAND);
            Files.writeString(LOGS.resolve(name + ".dmesg"), dmesg);
            assertTrue(dmesg.contains("Linux version " + tiny.kernelVersion().orElseThrow()), dmesg);
            List<String> bad = new ArrayList<>();
            for (String line : dmesg.lines().toList()) {
                for (String word : DMESG_BAD) {
                    if (line.contains(word)) {
                        bad.add(line);
                    }
                }
            }
            assertEquals(List.of(), bad, "dmesg lines with any of " + DMESG_BAD);

            c.type("poweroff\r");
            assertEquals(0, c.awaitExit(COMMAND), () -> "poweroff ends vmm with status 0; stderr: " + c.errors());
        }
    }

    /** The /proc/interrupts line of {@code device}: delivered through the IO-APIC, and counted at least once. */
    private static void assertCountsThroughIoApic(String interrupts, String device) {
        Matcher m = Pattern.compile("(?m)^\\s*\\d+:\\s+(\\d+)\\s+IO-APIC\\s+\\S+\\s+" + Pattern.quote(device) + "$")
                .matcher(interrupts);
        assertTrue(m.find(), () -> device + " through the IO-APIC in:\n" + interrupts);
        assertTrue(Long.parseLong(m.group(1)) > 0, () -> device + " interrupts counted in:\n" + interrupts);
    }
}

package dev.vmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

public class RunCommandTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 1];
        all[0] = "run";
        System.arraycopy(args, 0, all, 1, args.length);
        return cmd.execute(all);
    }

    private String path(String name) {
        return dir.resolve(name).toString();
    }

    // ---- guests --------------------------------------------------------------------------------

    /**
     * A boot sector: prints "hello" with INT 10h AH=0Eh, writes "serial ok\n" to COM1, then 0x2A to the
     * debug-exit port (status 0x55).
     */
    public static byte[] bootSector() {
        byte[] code = bytes(
                0x31, 0xC0,                     // 00 xor ax, ax
                0x8E, 0xD8,                     // 02 mov ds, ax
                0x31, 0xDB,                     // 04 xor bx, bx
                0xBE, 0x2A, 0x7C,               // 06 mov si, 0x7C2A (msg1)
                0xAC,                           // 09 loop1: lodsb
                0x84, 0xC0,                     // 0A test al, al
                0x74, 0x06,                     // 0C jz next (0x14)
                0xB4, 0x0E,                     // 0E mov ah, 0x0E
                0xCD, 0x10,                     // 10 int 0x10
                0xEB, 0xF5,                     // 12 jmp loop1
                0xBE, 0x30, 0x7C,               // 14 next: mov si, 0x7C30 (msg2)
                0xBA, 0xF8, 0x03,               // 17 mov dx, 0x3F8
                0xAC,                           // 1A loop2: lodsb
                0x84, 0xC0,                     // 1B test al, al
                0x74, 0x03,                     // 1D jz done (0x22)
                0xEE,                           // 1F out dx, al
                0xEB, 0xF8,                     // 20 jmp loop2
                0xB0, 0x2A,                     // 22 done: mov al, 0x2A
                0xE6, 0xF4,                     // 24 out 0xF4, al
                0xF4,                           // 26 hlt
                0xEB, 0xFD);                    // 27 jmp hlt
        byte[] sector = new byte[512];
        System.arraycopy(code, 0, sector, 0, code.length);
        byte[] m1 = "hello\0".getBytes(StandardCharsets.US_ASCII);
        byte[] m2 = "serial ok\n\0".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(m1, 0, sector, 0x2A, m1.length);
        System.arraycopy(m2, 0, sector, 0x30, m2.length);
        sector[510] = 0x55;
        sector[511] = (byte) 0xAA;
        return sector;
    }

    /** Writes 'K' and the command line (boot_params.cmd_line_ptr) to port 0xE9, then 7 to port 0xF4. */
    static final byte[] CMDLINE_PAYLOAD = bytes(
            0xB0, 'K',                              // mov al, 'K'
            0xE6, 0xE9,                             // out 0xE9, al
            0x8B, 0x9E, 0x28, 0x02, 0x00, 0x00,     // mov ebx, [esi + 0x228]
            0x8A, 0x03,                             // loop: mov al, [ebx]
            0x84, 0xC0,                             // test al, al
            0x74, 0x05,                             // jz done
            0xE6, 0xE9,                             // out 0xE9, al
            0x43,                                   // inc ebx
            0xEB, 0xF5,                             // jmp loop
            0xB0, 0x07,                             // done: mov al, 7
            0xE6, 0xF4,                             // out 0xF4, al
            0xF4);                                  // hlt

    /** A protocol-2.15 relocatable bzImage with {@code payload} as its protected-mode kernel (also for the host tests). */
    public static byte[] bzImage(byte[] payload) {
        int setupSects = 4;
        int pmSize = (payload.length + 15) & ~15;
        byte[] f = new byte[(setupSects + 1) * 512 + pmSize];
        f[0x1F1] = (byte) setupSects;
        put32(f, 0x1F4, pmSize / 16);                 // syssize
        put16(f, 0x1FE, 0xAA55);                      // boot_flag
        f[0x200] = (byte) 0xEB;
        f[0x201] = 0x6A;
        put32(f, 0x202, 0x53726448);                  // "HdrS"
        put16(f, 0x206, 0x020F);                      // protocol 2.15
        f[0x211] = 0x01;                              // LOADED_HIGH
        put32(f, 0x214, 0x100000);                    // code32_start
        put32(f, 0x22C, 0x7FFFFFFF);                  // initrd_addr_max
        put32(f, 0x230, 0x200000);                    // kernel_alignment
        f[0x234] = 1;                                 // relocatable_kernel
        f[0x235] = 21;                                // min_alignment
        put32(f, 0x238, 2047);                        // cmdline_size
        put32(f, 0x258, 0x1000000);                   // pref_address
        put32(f, 0x260, 0x20000);                     // init_size
        System.arraycopy(payload, 0, f, (setupSects + 1) * 512, payload.length);
        return f;
    }

    private String write(String name, byte[] data) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, data);
        return p.toString();
    }

    // ---- tests ---------------------------------------------------------------------------------

    @Test
    void bootsDiskThroughBios() throws IOException {
        String img = write("disk.img", bootSector());
        int code = run("--disk", img, "--serial", "file:" + path("out.txt"), "--debug-exit", "--deterministic",
                "--screenshot", path("shot.png"));
        assertEquals((0x2A << 1) | 1, code, err::toString);
        assertTrue(Files.readString(dir.resolve("out.txt")).contains("serial ok"));
        BufferedImage png = ImageIO.read(dir.resolve("shot.png").toFile());
        assertEquals(720, png.getWidth());
        assertEquals(400, png.getHeight());
        assertEquals(bootSector().length, Files.size(Path.of(img)));
        assertEquals(0x55, Files.readAllBytes(Path.of(img))[510], "cow: the image is unchanged");
    }

    @Test
    void bootsKernelDirectly() throws IOException {
        String k = write("bzImage", bzImage(CMDLINE_PAYLOAD));
        String initrd = write("initrd", new byte[5000]);
        int code = run("--kernel", k, "--initrd", initrd, "--append", "console=ttyS0 quiet", "--serial", "none",
                "--debugcon", path("con.txt"), "--debug-exit", "--deterministic");
        assertEquals((7 << 1) | 1, code, err::toString);
        assertEquals("Kconsole=ttyS0 quiet", Files.readString(dir.resolve("con.txt")));
    }

    @Test
    void stopAtEndsCleanly() throws IOException {
        String k = write("bzImage", bzImage(bytes(0xEB, 0xFE)));     // jmp $
        int code = run("--kernel", k, "--serial", "none", "--stop-at", "10000", "--deterministic");
        assertEquals(0, code, err::toString);
        assertTrue(err.toString().contains("stopped after 10000 instructions"), err::toString);
    }

    @Test
    void tripleFaultExits3() throws IOException {
        String k = write("bzImage", bzImage(bytes(0x0F, 0x0B)));     // ud2 with IDT limit 0
        int code = run("--kernel", k, "--serial", "none", "--deterministic");
        assertEquals(3, code, err::toString);
        assertTrue(err.toString().contains("triple fault"), err::toString);
    }

    @Test
    void haltWithInterruptsOffExits4() throws IOException {
        String k = write("bzImage", bzImage(bytes(0xFA, 0xF4)));     // cli; hlt
        int code = run("--kernel", k, "--serial", "none", "--deterministic");
        assertEquals(4, code, err::toString);
        assertTrue(err.toString().contains("guest halted with interrupts disabled"), err::toString);
    }

    private void assertBadInput(String expected, String... args) {
        err.getBuffer().setLength(0);
        int code = run(args);
        assertEquals(2, code, err::toString);
        String e = err.toString();
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.contains(expected), () -> "expected '" + expected + "' in: " + e);
    }

    @Test
    void badInputBeforeTheVmStarts() throws IOException {
        assertBadInput("no such file", "--disk", path("missing.img"), "--serial", "none");
        assertBadInput("the file is empty", "--disk", write("empty.img", new byte[0]), "--serial", "none");
        assertBadInput("not a multiple of 512-byte sectors", "--disk", write("odd.img", new byte[700]),
                "--serial", "none");
        assertBadInput("no such file", "--kernel", path("missing"), "--serial", "none");
        assertBadInput("neither a Linux bzImage (no \"HdrS\" setup header) nor a multiboot kernel (no multiboot header",
                "--kernel", write("junk", new byte[4096]), "--serial", "none");
        assertBadInput("no such file", "--kernel", write("k1", bzImage(CMDLINE_PAYLOAD)), "--initrd",
                path("nope"), "--serial", "none");
        assertBadInput("does not fit", "--kernel", write("k2", bzImage(CMDLINE_PAYLOAD)), "--initrd",
                write("big", new byte[20 << 20]), "--memory", "32M", "--serial", "none");
        assertBadInput("--memory: '12Q'", "--kernel", write("k3", bzImage(CMDLINE_PAYLOAD)), "--memory", "12Q",
                "--serial", "none");
        assertBadInput("--disk-mode must be rw, ro or cow", "--disk", write("d.img", bootSector()),
                "--disk-mode", "xx", "--serial", "none");
        assertBadInput("--serial must be stdio, none or file:PATH", "--disk", write("d2.img", bootSector()),
                "--serial", "tcp:1234");
    }

    @Test
    void bootErrorsComeBeforeAnythingIsWritten() throws Exception {
        String serialFile = path("serial-out.txt");
        byte[] blank = new byte[64 * 1024];
        assertBadInput("--disk " + path("blank.img") + ": not bootable: sector 0 does not end with the 55 AA boot "
                + "signature (found 00 00)", "--disk", write("blank.img", blank), "--serial", "file:" + serialFile);
        assertBadInput("no --cdrom to boot from", "--disk", write("boot.img", bootSector()), "--boot", "d",
                "--serial", "file:" + serialFile);
        assertBadInput("--boot: boot order 'x': 'x' is not c (hard disk) or d (CD)", "--disk", path("boot.img"),
                "--boot", "x", "--serial", "file:" + serialFile);
        assertBadInput("--cdrom " + path("missing.iso") + ": no such file", "--cdrom", path("missing.iso"),
                "--serial", "file:" + serialFile);
        assertBadInput("--bios " + path("missing.bin") + ": no such file", "--bios", path("missing.bin"),
                "--serial", "file:" + serialFile);
        assertBadInput("a BIOS image is a multiple of 64 KiB between 64 KiB and 16 MiB", "--bios",
                write("small.bin", new byte[4096]), "--serial", "file:" + serialFile);
        assertBadInput("--bios and --kernel exclude each other", "--bios", path("small.bin"), "--kernel",
                write("k4", bzImage(CMDLINE_PAYLOAD)), "--serial", "file:" + serialFile);
        assertBadInput("--initrd " + path("absent") + ": no such file", "--kernel", write("mb", multibootKernel()),
                "--initrd", path("absent"), "--serial", "file:" + serialFile);
        assertBadInput("initrd", "--kernel", path("k4"), "--initrd", write("huge", new byte[40 << 20]),
                "--memory", "32M", "--serial", "file:" + serialFile);
        assertTrue(Files.notExists(Path.of(serialFile)), "nothing written before the VM starts");
    }

    @Test
    void isoWithoutElToritoIsRefused() throws Exception {
        Path xorriso = tool("xorriso");
        Assumptions.assumeTrue(xorriso != null, "xorriso not installed (Debian package xorriso): skipping");
        Path root = Files.createDirectories(dir.resolve("data"));
        Files.writeString(root.resolve("README.TXT"), "data\n");
        String iso = path("data.iso");
        exec(xorriso.toString(), "-as", "mkisofs", "-o", iso, root.toString());
        assertBadInput("--cdrom " + iso + ": no El Torito boot record: not a bootable CD image", "--cdrom", iso,
                "--serial", "none");
    }

    @Test
    void bootsTheCdWhenThereIsNoDisk() throws Exception {
        Path xorriso = tool("xorriso");
        Assumptions.assumeTrue(xorriso != null, "xorriso not installed (Debian package xorriso): skipping");
        Path root = Files.createDirectories(dir.resolve("cd"));
        byte[] image = new byte[2048];
        System.arraycopy(bootSector(), 0, image, 0, 512);
        Files.write(root.resolve("boot.img"), image);
        String iso = path("boot.iso");
        exec(xorriso.toString(), "-as", "mkisofs", "-o", iso, "-b", "boot.img", "-no-emul-boot", "-boot-load-size",
                "4", root.toString());
        int code = run("--cdrom", iso, "--serial", "file:" + path("cd.txt"), "--debug-exit", "--deterministic");
        assertEquals((0x2A << 1) | 1, code, err::toString);
        assertTrue(Files.readString(dir.resolve("cd.txt")).contains("serial ok"));
        // With a bootable disk too, --boot d picks the CD and --boot c the disk (same program: same status).
        String disk = write("both.img", bootSector());
        assertEquals((0x2A << 1) | 1, run("--disk", disk, "--cdrom", iso, "--boot", "dc", "--serial", "none",
                "--debug-exit", "--deterministic"), err::toString);
    }

    @Test
    void bootsMultibootKernelDirectly() throws IOException {
        int code = run("--kernel", write("mbk", multibootKernel()), "--serial", "none", "--debugcon",
                path("mb.txt"), "--debug-exit", "--deterministic");
        assertEquals((0x11 << 1) | 1, code, err::toString);
        assertEquals("M", Files.readString(dir.resolve("mb.txt")));
    }

    @Test
    void seaBiosBootsTheDisk() throws IOException {
        Path seabios = Path.of("/usr/share/seabios/bios.bin");
        Assumptions.assumeTrue(Files.isRegularFile(seabios),
                "SeaBIOS not installed (Debian package seabios): skipping");
        byte[] disk = new byte[1 << 20];
        System.arraycopy(bootSector(), 0, disk, 0, 512);
        int code = run("--bios", seabios.toString(), "--disk", write("sea.img", disk), "--serial",
                "file:" + path("sea.txt"), "--debug-exit", "--deterministic", "--screenshot", path("sea.png"));
        assertEquals((0x2A << 1) | 1, code, err::toString);
        assertTrue(Files.readString(dir.resolve("sea.txt")).contains("serial ok"));
        assertTrue(Files.size(dir.resolve("sea.png")) > 0);
    }

    /**
     * A multiboot kernel (a.out kludge, loaded at 1 MiB): if EAX holds the boot loader magic 2BADB002h it writes 'M'
     * to port 0xE9 and 0x11 to port 0xF4.
     */
    static byte[] multibootKernel() {
        byte[] k = new byte[64];
        put32(k, 0, 0x1BADB002);
        put32(k, 4, 0x00010000);                      // flags: a.out kludge
        put32(k, 8, -(0x1BADB002 + 0x00010000));      // checksum
        put32(k, 12, 0x100000);                       // header_addr
        put32(k, 16, 0x100000);                       // load_addr
        put32(k, 20, 0);                              // load_end_addr: the whole file
        put32(k, 24, 0);                              // bss_end_addr: no bss
        put32(k, 28, 0x100020);                       // entry_addr
        byte[] code = bytes(
                0x3D, 0x02, 0xB0, 0xAD, 0x2B,           // cmp eax, 0x2BADB002
                0x75, 0x08,                             // jne bad
                0xB0, 'M', 0xE6, 0xE9,                  // mov al,'M'; out 0xE9,al
                0xB0, 0x11, 0xE6, 0xF4,                 // mov al,0x11; out 0xF4,al
                0xF4);                                  // bad: hlt
        System.arraycopy(code, 0, k, 0x20, code.length);
        return k;
    }

    private static Path tool(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    private void exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String o = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), o);
        assertEquals(0, p.exitValue(), o);
    }

    @Test
    void parsesMemorySizes() throws Exception {
        assertEquals(128L << 20, RunCommand.parseMemory("128M"));
        assertEquals(1L << 30, RunCommand.parseMemory("1G"));
        assertEquals(64L << 20, RunCommand.parseMemory("64"));
        assertEquals(65536L << 10, RunCommand.parseMemory("65536K"));
        assertEquals(256L << 20, RunCommand.parseMemory("256MiB"));
    }

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    static void put16(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >>> 8);
    }

    static void put32(byte[] b, int o, int v) {
        put16(b, o, v);
        put16(b, o + 2, v >>> 16);
    }
}

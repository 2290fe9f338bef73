package dev.vmm.firmware.bios;

import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.cpu.Cpu;
import dev.vmm.core.cpu.Flags;
import dev.vmm.core.persist.Persist;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.pci.PciVga;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The project's INT 10h ({@link Int10Video}) as the option ROM of the board's PCI VGA card, for a
 * system BIOS other than ours (such as SeaBIOS through {@code --bios}): the BIOS finds the ROM
 * behind the card's expansion ROM register, copies it to 0xC0000, far-calls its entry at offset 3,
 * and from then on prints through INT 10h.
 *
 * <p>The ROM (PCI Firmware Specification 3.0, section 5.1) has the 55AAh signature, its length in
 * 512-byte units, the entry jump at offset 3, a pointer at 18h to the "PCIR" data structure (vendor
 * and device of the card, class 030000h, code type 0 = x86 PC-AT, last image) and a checksum byte
 * making all bytes sum to zero. Like the system ROM's, its code is tiny stubs that push DX and a
 * service code and write port {@link #SERVICE_PORT}; the Java side then runs:
 * <ul>
 *   <li>{@link #INIT_CODE} (the entry): points vector 10h at the ROM's INT 10h stub, in whatever
 *       segment the BIOS copied the ROM to, and sets mode 3 up (BDA video fields, cleared screen);
 *   <li>10h: the video service, as with our own BIOS.
 * </ul>
 */
public final class VgaBios implements PortIoDevice, Persist<VgaBios.State> {
    private static final Logger log = LoggerFactory.getLogger(VgaBios.class);
    /** The snapshot section of its state: optional, as it holds only statistics. */
    public static final String SECTION = "vga-bios";
    public static final int SECTION_VERSION = 1;
    /** The port the ROM's stubs write (our system BIOS uses 0x0500). */
    public static final int SERVICE_PORT = 0x0501;
    static final int INIT_CODE = 0x0100;
    static final int ROM_SIZE = 2048;
    static final int PCIR = 0x20;
    static final int INIT = 0x40;
    static final int INT10_STUB = 0x60;

    private final Cpu cpu;
    private final Int10Video video;
    private long calls;

    /**
     * What the option ROM's Java side keeps (INT 10h itself keeps its state in the BIOS data area).
     *
     * @param serviceCalls service calls so far (statistics)
     */
    public record State(long serviceCalls) {
    }

    private VgaBios(PcBoard board) {
        this.cpu = board.cpu();
        this.video = new Int10Video(board.memory(), board.io(), board.vga());
    }

    /** Claims {@link #SERVICE_PORT} on {@code board} for the ROM's stubs. */
    public static VgaBios attach(PcBoard board) {
        VgaBios v = new VgaBios(board);
        board.io().register(SERVICE_PORT, 1, "vga-bios-services", v);
        board.snapshotParts().add(SECTION, SECTION_VERSION, true, State.class, v);
        return v;
    }

    /** Service calls so far. */
    public long serviceCalls() {
        return calls;
    }

    @Override
    public State save() {
        return new State(calls);
    }

    @Override
    public void restore(State s) {
        calls = s.serviceCalls();
    }

    /** The option ROM image (2 KiB) for the board's {@link PciVga} card. */
    public static byte[] romImage() {
        byte[] r = new byte[ROM_SIZE];
        r[0] = 0x55;
        r[1] = (byte) 0xAA;
        r[2] = (byte) (ROM_SIZE / 512);
        put(r, 3, 0xE9, (INIT - 6) & 0xFF, (INIT - 6) >>> 8);     // jmp near INIT
        put(r, 0x18, PCIR, 0x00);                                  // PCI data structure pointer
        put(r, PCIR, 'P', 'C', 'I', 'R');
        put16(r, PCIR + 4, PciVga.VENDOR_ID);
        put16(r, PCIR + 6, PciVga.DEVICE_ID);
        put16(r, PCIR + 8, 0);                                     // no vital product data
        put16(r, PCIR + 10, 0x18);                                 // structure length
        r[PCIR + 12] = 0;                                          // structure revision
        put(r, PCIR + 13, 0x00, 0x00, 0x03);                       // class code 030000h
        put16(r, PCIR + 16, ROM_SIZE / 512);                       // image length
        put16(r, PCIR + 18, 1);                                    // code revision
        r[PCIR + 20] = 0;                                          // code type: x86 PC-AT
        r[PCIR + 21] = (byte) 0x80;                                // indicator: last image
        // Entry (far-called): push dx; push INIT_CODE; mov dx,port; out dx,al; pop dx; pop dx; retf
        put(r, INIT, 0x52, 0x68, INIT_CODE & 0xFF, INIT_CODE >>> 8,
                0xBA, SERVICE_PORT & 0xFF, SERVICE_PORT >>> 8, 0xEE, 0x5A, 0x5A, 0xCB);
        // INT 10h: push dx; push 10h; mov dx,port; out dx,al; pop dx; pop dx; iret
        put(r, INT10_STUB, 0x52, 0x68, 0x10, 0x00,
                0xBA, SERVICE_PORT & 0xFF, SERVICE_PORT >>> 8, 0xEE, 0x5A, 0x5A, 0xCF);
        int sum = 0;
        for (byte b : r) {
            sum += b & 0xFF;
        }
        r[ROM_SIZE - 1] = (byte) -sum;
        return r;
    }

    @Override
    public int ioRead(int port, int size) {
        return 0xFF;
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        CallFrame f = new CallFrame(cpu);
        int code = f.code();
        calls++;
        cpu.flags.setBit(Flags.ZF, false);
        try {
            switch (code) {
                case INIT_CODE -> init(f);
                case 0x10 -> video.handle(f);
                default -> log.debug("VGA BIOS: no service {}", Integer.toHexString(code));
            }
        } catch (RuntimeException e) {
            log.error("VGA BIOS service {} (AX={}) failed", Integer.toHexString(code), Integer.toHexString(f.ax()), e);
        }
    }

    /** The entry: hooks INT 10h at the stub of the ROM's current copy and sets mode 3 up. */
    private void init(CallFrame f) {
        int segment = f.segment(Cpu.CS);
        var mem = f.memory();
        mem.write16(4L * 0x10, INT10_STUB);
        mem.write16(4L * 0x10 + 2, segment);
        video.init();
        log.debug("VGA BIOS: INT 10h at {}:{}", Integer.toHexString(segment), Integer.toHexString(INT10_STUB));
    }

    private static void put(byte[] b, int at, int... v) {
        for (int x : v) {
            b[at++] = (byte) x;
        }
    }

    private static void put16(byte[] b, int at, int v) {
        put(b, at, v & 0xFF, v >>> 8);
    }
}

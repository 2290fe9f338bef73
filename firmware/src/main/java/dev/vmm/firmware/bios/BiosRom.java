package dev.vmm.firmware.bios;

import java.nio.charset.StandardCharsets;

/**
 * The 64 KiB BIOS ROM at 0xF0000 (segment 0xF000). Layout (offsets in the segment):
 * <pre>
 *   0x0000  ACPI RSDP (36 bytes)
 *   0x1000  MP floating pointer + configuration table
 *   0x8000  service stubs, {@link #STUB_SIZE} bytes per vector: stub of vector v at 0x8000 + 32 v
 *   0xE05B  POST entry: stack at 0000:7C00, "call" service {@link #POST_CODE}, INT 19h
 *   0xE074  halt loop (cli; hlt; jmp)
 *   0xE6F5  INT 15h C0h system configuration table
 *   0xFF53  default handler: IRET
 *   0xFFF0  reset vector: jmp far F000:E05B
 *   0xFFF5  BIOS date, 0xFFFE model byte
 * </pre>
 * A service stub:
 * <pre>
 *   retry: push dx
 *          push word vector
 *          mov  dx, 0x0500        ; the BIOS service port
 *          out  dx, al            ; Java runs the service (see CallFrame for the stack it sees)
 *          pop  dx                ; drop the vector
 *          pop  dx                ; DX as the service left it in its stack slot
 *          jz   wait              ; Java sets the live ZF to ask for a wait-and-retry
 *          iret                   ; FLAGS (CF/ZF results) from the image Java edited
 *   wait:  sti
 *          hlt
 *          cli
 *          jmp  retry
 * </pre>
 * The IRQ0 stub runs {@code int 1Ch} before its IRET (the user timer hook).
 */
final class BiosRom {
    static final long BASE = 0xF0000;
    /** The copy below 4 GiB the reset vector is fetched from. */
    static final long HIGH_ALIAS = 0xFFFF_0000L;
    static final int SEGMENT = 0xF000;
    static final int SIZE = 0x10000;
    static final int SERVICE_PORT = 0x0500;
    static final int POST_CODE = 0x100;
    static final int RSDP = 0x0000;
    static final int MP_TABLE = 0x1000;
    static final int STUBS = 0x8000;
    static final int STUB_SIZE = 32;
    static final int POST_ENTRY = 0xE05B;
    static final int CONFIG_TABLE = 0xE6F5;
    static final int CONFIG_FEATURE1 = 0x64;
    static final int CONFIG_FEATURE2 = 0x40;
    static final int DEFAULT_IRET = 0xFF53;
    static final int RESET_VECTOR = 0xFFF0;
    static final int BOOT_STACK = 0x7C00;

    private final byte[] image = new byte[SIZE];
    private int haltLoop;

    BiosRom() {
        image[DEFAULT_IRET] = (byte) 0xCF;
        // Reset vector: jmp far F000:E05B.
        put(RESET_VECTOR, 0xEA, POST_ENTRY & 0xFF, POST_ENTRY >>> 8, 0x00, 0xF0);
        byte[] date = "11/22/26".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(date, 0, image, 0xFFF5, date.length);
        image[0xFFFE] = (byte) 0xFC;
        // System configuration table (INT 15h AH=C0h): length 8, model FC, submodel 01, revision 0;
        // feature byte 1 = 64h: second 8259 (bit 6), RTC (bit 5), EBDA allocated (bit 2); IRQ1 does
        // not call INT 15h AH=4Fh (bit 4 clear); feature byte 2 = 40h: INT 16h AH=09h supported.
        put(CONFIG_TABLE, 0x08, 0x00, 0xFC, 0x01, 0x00, CONFIG_FEATURE1, CONFIG_FEATURE2, 0x00, 0x00, 0x00);
        writePost();
        for (int v = 0; v < 256; v++) {
            writeStub(v);
        }
    }

    private void writePost() {
        int p = POST_ENTRY;
        p = put(p, 0xFA, 0xFC);                                // cli; cld
        p = put(p, 0x31, 0xC0, 0x8E, 0xD0);                     // xor ax,ax; mov ss,ax
        p = put(p, 0xBC, BOOT_STACK & 0xFF, BOOT_STACK >>> 8);  // mov sp,7C00h
        p = put(p, 0x8E, 0xD8, 0x8E, 0xC0);                     // mov ds,ax; mov es,ax
        p = put(p, 0x52, 0x68, POST_CODE & 0xFF, POST_CODE >>> 8); // push dx; push POST_CODE
        p = put(p, 0xBA, SERVICE_PORT & 0xFF, SERVICE_PORT >>> 8, 0xEE); // mov dx,port; out dx,al
        p = put(p, 0x5A, 0x5A);                                 // pop dx; pop dx
        p = put(p, 0xCD, 0x19);                                 // int 19h
        haltLoop = p;
        put(p, 0xFA, 0xF4, 0xEB, 0xFC);                         // cli; hlt; jmp $-2
    }

    private void writeStub(int v) {
        int p = stub(v);
        p = put(p, 0x52, 0x68, v, 0x00);                        // push dx; push v
        p = put(p, 0xBA, SERVICE_PORT & 0xFF, SERVICE_PORT >>> 8, 0xEE); // mov dx,port; out dx,al
        p = put(p, 0x5A, 0x5A);                                 // pop dx; pop dx
        if (v == 0x08) {
            put(p, 0xCD, 0x1C, 0xCF);                           // int 1Ch; iret
            return;
        }
        p = put(p, 0x74, 0x01, 0xCF);                           // jz wait; iret
        put(p, 0xFB, 0xF4, 0xFA, 0xEB, 0xEE);                   // wait: sti; hlt; cli; jmp retry
    }

    /** Offset of the stub of vector {@code v}. */
    static int stub(int v) {
        return STUBS + v * STUB_SIZE;
    }

    /** Offset of the halt loop (cli; hlt; jmp). */
    int haltLoop() {
        return haltLoop;
    }

    void place(int offset, byte[] data) {
        System.arraycopy(data, 0, image, offset, data.length);
    }

    byte[] image() {
        return image.clone();
    }

    private int put(int at, int... bytes) {
        for (int b : bytes) {
            image[at++] = (byte) b;
        }
        return at;
    }
}

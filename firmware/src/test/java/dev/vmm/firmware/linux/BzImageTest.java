package dev.vmm.firmware.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BzImageTest {
    @Test
    void parsesTheSetupHeader() {
        BzImage k = BzImage.parse(SyntheticKernel.image());
        assertEquals(0x020F, k.protocolVersion());
        assertEquals("2.15", k.protocolString());
        assertEquals(4, k.setupSects());
        assertEquals(5 * 512, k.protectedModeOffset());
        assertEquals(2, k.syssize());
        assertEquals(32, k.protectedModeSize());
        assertEquals(BzImage.LOADED_HIGH, k.loadflags());
        assertEquals(0x100000, k.code32Start());
        assertEquals(0x7FFFFFFF, k.initrdAddrMax());
        assertEquals(0x200000, k.kernelAlignment());
        assertTrue(k.relocatable());
        assertEquals(21, k.minAlignment());
        assertEquals(2047, k.cmdlineSize());
        assertEquals(0x1000000, k.prefAddress());
        assertEquals(0x20000, k.initSize());
        assertEquals(0, k.xloadflags());
        assertEquals(0x26C, k.headerEnd());
        assertEquals(0x26C - 0x1F1, k.setupHeader().length);
        assertEquals("6.1.0-synthetic (test@vmm)", k.kernelVersion());
        assertTrue(Arrays.equals(SyntheticKernel.PAYLOAD, Arrays.copyOf(k.protectedModeKernel(),
                SyntheticKernel.PAYLOAD.length)));
    }

    @Test
    void zeroSetupSectsMeansFour() {
        byte[] f = SyntheticKernel.image();
        f[0x1F1] = 0;
        assertEquals(4, BzImage.parse(f).setupSects());
    }

    @Test
    void protocol204DefaultsTheFieldsItDoesNotHave() {
        byte[] f = SyntheticKernel.image(0x0204, 0x01, SyntheticKernel.PAYLOAD);
        BzImage k = BzImage.parse(f);
        assertFalse(k.relocatable());
        assertEquals(0, k.kernelAlignment());
        assertEquals(255, k.cmdlineSize());
        assertEquals(0, k.initSize());
        assertEquals(0, k.prefAddress());
        SyntheticKernel.put32(f, 0x22C, 0);
        assertEquals(0x37FFFFFF, BzImage.parse(f).initrdAddrMax());
    }

    @Test
    void refusesAFileWithoutHdrS() {
        byte[] f = SyntheticKernel.image();
        f[0x202] = 'X';
        assertEquals("not a Linux bzImage: no HdrS signature",
                assertThrows(KernelFormatException.class, () -> BzImage.parse(f)).getMessage());
        byte[] elf = new byte[4096];
        elf[0] = 0x7F;
        elf[1] = 'E';
        elf[2] = 'L';
        elf[3] = 'F';
        assertEquals("not a Linux bzImage: no HdrS signature",
                assertThrows(KernelFormatException.class, () -> BzImage.parse(elf)).getMessage());
    }

    @Test
    void refusesTinyFiles() {
        String m = assertThrows(KernelFormatException.class, () -> BzImage.parse(new byte[100])).getMessage();
        assertEquals("not a Linux bzImage: only 100 bytes, too short to hold a setup header (needs at least 0x206)", m);
    }

    @Test
    void refusesATruncatedSetup() {
        byte[] f = Arrays.copyOf(SyntheticKernel.image(), 1024);
        String m = assertThrows(KernelFormatException.class, () -> BzImage.parse(f)).getMessage();
        assertEquals("truncated bzImage: 1024 bytes, but the real-mode setup alone is 2560 bytes"
                + " (4 setup sectors + boot sector)", m);
    }

    @Test
    void refusesATruncatedKernel() {
        byte[] full = SyntheticKernel.image();
        byte[] f = Arrays.copyOf(full, full.length - 5);
        String m = assertThrows(KernelFormatException.class, () -> BzImage.parse(f)).getMessage();
        assertEquals("truncated bzImage: protected-mode kernel is 27 bytes, but syssize says 32", m);
        byte[] setupOnly = Arrays.copyOf(full, 2560);
        assertTrue(assertThrows(KernelFormatException.class, () -> BzImage.parse(setupOnly)).getMessage()
                .startsWith("truncated bzImage: protected-mode kernel is 0 bytes"));
    }

    @Test
    void refusesOldProtocols() {
        byte[] f = SyntheticKernel.image(0x0203, 0x01, SyntheticKernel.PAYLOAD);
        assertEquals("Linux boot protocol 2.03 is too old: need 2.04 or later (kernel 2.6.14+)",
                assertThrows(KernelFormatException.class, () -> BzImage.parse(f)).getMessage());
    }

    @Test
    void refusesZImage() {
        byte[] f = SyntheticKernel.image(0x020F, 0x00, SyntheticKernel.PAYLOAD);
        assertEquals("zImage (loadflags without LOADED_HIGH) is not supported: only bzImage kernels load at 1 MiB",
                assertThrows(KernelFormatException.class, () -> BzImage.parse(f)).getMessage());
    }

    @Test
    void copiesItsInput() {
        byte[] f = SyntheticKernel.image();
        BzImage k = BzImage.parse(f);
        f[0x206] = 0;
        assertEquals(0x020F, k.protocolVersion());
    }
}

package dev.vmm.devices.pci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The i440FX host bridge: identity, PAM attributes, SMRAM and its lock. */
class I440fxHostBridgeTest {
    private final PciTestBoard b = new PciTestBoard();

    @Test
    void identity() {
        assertEquals(0x1237_8086, b.cfgRead(0, 0, 0x00, 4));
        assertEquals(0x0280_0006, b.cfgRead(0, 0, 0x04, 4));
        assertEquals(0x0600_0002, b.cfgRead(0, 0, 0x08, 4));
        assertEquals(0x00, b.cfgRead(0, 0, 0x0E, 1));
        assertEquals(0x02, b.cfgRead(0, 0, 0x72, 1), "SMRAM: C_BASE_SEG = 010");
    }

    /** SeaBIOS make_bios_writable_intel(): PAM0 = 0x30, PAM1-6 = 0x33, all through 32-bit writes. */
    @Test
    void pamWritesAreStoredAndReported() {
        int pam0dword = b.cfgRead(0, 0, 0x58, 4);
        b.cfgWrite(0, 0, 0x58, 4, pam0dword & 0xFF | 0x3333_3000);       // 0x59 = 0x30, 0x5A-0x5B = 0x33
        b.cfgWrite(0, 0, 0x5C, 4, 0x3333_3333);
        assertEquals(0x3333_3000, b.cfgRead(0, 0, 0x58, 4) & 0xFFFF_FF00);
        assertEquals(0x3333_3333, b.cfgRead(0, 0, 0x5C, 4));
        assertEquals(13, b.pamEvents.size());
        assertEquals("f0000+10000=3", b.pamEvents.get(0));
        assertEquals("c0000+4000=3", b.pamEvents.get(1));
        assertEquals("ec000+4000=3", b.pamEvents.get(12));
        for (int s = 0; s < I440fxHostBridge.PAM_SEGMENTS; s++) {
            assertEquals(3, b.host.pamAttributes(s));
        }
        b.pamEvents.clear();
        b.cfgWrite(0, 0, 0x59, 1, 0xFF);                                 // reserved bits read 0
        assertEquals(0x30, b.cfgRead(0, 0, 0x59, 1));
        assertEquals(List.of(), b.pamEvents, "unchanged attributes are not reported");
        b.cfgWrite(0, 0, 0x59, 1, 0x10);                                 // BIOS area read-only (RE only)
        b.cfgWrite(0, 0, 0x5F, 1, 0x13);                                 // 0xE8000 RW, 0xEC000 RE
        assertEquals(List.of("f0000+10000=1", "ec000+4000=1"), b.pamEvents);
        b.pamEvents.clear();
        b.pci.reset();
        assertEquals(13, b.pamEvents.size(), "reset returns every segment to 0");
        assertEquals("f0000+10000=0", b.pamEvents.get(0));
    }

    @Test
    void smramLockFreezesTheRegister() {
        b.cfgWrite(0, 0, 0x72, 1, 0xEF);                                 // everything but D_LCK
        assertEquals(0x6A, b.cfgRead(0, 0, 0x72, 1), "bit 7 reserved, C_BASE_SEG fixed");
        b.cfgWrite(0, 0, 0x72, 1, 0x4A);                                 // D_OPEN, G_SMRAME
        assertEquals(0x4A, b.cfgRead(0, 0, 0x72, 1));
        assertFalse(b.host.smramLocked());
        b.cfgWrite(0, 0, 0x72, 1, 0x5A);                                 // + D_LCK: D_OPEN is cleared
        assertEquals(0x1A, b.cfgRead(0, 0, 0x72, 1));
        assertTrue(b.host.smramLocked());
        b.cfgWrite(0, 0, 0x70, 4, 0x0000_0002);                          // dword write over 0x70-0x73
        assertEquals(0x1A, b.cfgRead(0, 0, 0x72, 1), "locked until reset");
        assertEquals(0x02, b.cfgRead(0, 0, 0x70, 1), "the other bytes of the dword are written");
        b.pci.reset();
        assertEquals(0x02, b.cfgRead(0, 0, 0x72, 1));
        assertFalse(b.host.smramLocked());
    }
}

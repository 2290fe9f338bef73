package dev.vmm.devices.acpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.core.bus.PioBus;
import dev.vmm.devices.testutil.DetClock;
import dev.vmm.devices.testutil.RecordingLine;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The PIIX4-style ACPI PM block, driven through its ports as an ACPI OS does. */
class AcpiPmTest {
    private static final long S = 1_000_000_000L;
    private static final int BASE = 0xB000;
    private static final int PM1_STS = BASE;
    private static final int PM1_EN = BASE + 2;
    private static final int PM1_CNT = BASE + 4;
    private static final int PM_TMR = BASE + 8;
    private static final int GPE0_STS = BASE + 0x20;
    private static final int GPE0_EN = BASE + 0x24;

    /** A PM block on its own deterministic clock. */
    private static final class Rig {
        final DetClock t = new DetClock();
        final PioBus bus = new PioBus();
        final RecordingLine sci = new RecordingLine(t.clock);
        int powerOffs;
        final AcpiPm pm = new AcpiPm(t.clock, sci, () -> powerOffs++);

        Rig() {
            pm.attach(bus, BASE);
        }
    }

    private Rig r;

    @BeforeEach
    void rig() {
        r = new Rig();
    }

    /** The time at which the PM timer has counted {@code ticks}. */
    private static long nanosAt(long ticks) {
        return (ticks * S + AcpiPm.TIMER_HZ - 1) / AcpiPm.TIMER_HZ;
    }

    @Test
    void pmTimerRateIsExactOverOneSecond() {
        assertEquals(0, r.bus.read(PM_TMR, 4));
        r.t.advanceTo(S);
        assertEquals(3_579_545, r.bus.read(PM_TMR, 4));
        r.t.advanceTo(3 * S);
        assertEquals(3 * 3_579_545 & 0xFF_FFFF, r.bus.read(PM_TMR, 4), "24 bits wide");
        long wrap = nanosAt(1 << 24);
        r.t.advanceTo(wrap - 1);
        assertEquals(0xFF_FFFF, r.bus.read(PM_TMR, 4));
        r.t.advanceTo(wrap);
        assertEquals(0, r.bus.read(PM_TMR, 4));
        assertEquals(0, r.bus.read(PM_TMR, 4) >>> 24);
    }

    @Test
    void tmrStsOnBit23ToggleRaisesSci() {
        r.bus.write(PM1_CNT, 2, AcpiPm.SCI_EN);
        r.bus.write(PM1_EN, 2, AcpiPm.TMR_EN);
        long toggle = nanosAt(1 << 23);
        r.t.advanceTo(toggle - 1);
        assertEquals(0, r.bus.read(PM1_STS, 2) & AcpiPm.TMR_STS);
        assertFalse(r.sci.level());
        r.t.advanceTo(toggle);
        assertTrue(r.sci.level(), "the timer fired at the toggle");
        assertEquals(toggle, r.sci.edges().get(0).nanos());
        assertEquals(AcpiPm.TMR_STS, r.bus.read(PM1_STS, 2));
        r.bus.write(PM1_STS, 2, AcpiPm.TMR_STS);            // write 1 to clear
        assertFalse(r.sci.level());
        assertEquals(0, r.bus.read(PM1_STS, 2));
        r.t.runUntil(nanosAt(1 << 24), () -> r.bus.write(PM1_STS, 2, AcpiPm.TMR_STS));
        assertEquals(2, r.sci.risingEdges(), "bit 23 toggles again at the wrap");

        r.bus.write(PM1_EN, 2, 0);                          // status without SCI
        r.t.advanceTo(nanosAt(3 << 23));
        assertEquals(AcpiPm.TMR_STS, r.bus.read(PM1_STS, 2));
        assertFalse(r.sci.level());
    }

    @Test
    void s5PowerOffThroughPm1Cnt() {
        r.bus.write(PM1_CNT, 2, AcpiPm.SCI_EN);
        r.bus.write(PM1_CNT, 2, AcpiPm.SCI_EN | AcpiPm.SLP_TYP_S5 << 10);
        assertEquals(0, r.powerOffs, "no SLP_EN, no sleep");
        r.bus.write(PM1_CNT, 2, AcpiPm.SCI_EN | AcpiPm.SLP_TYP_S5 << 10 | AcpiPm.SLP_EN);
        assertEquals(1, r.powerOffs);
        assertEquals(AcpiPm.SCI_EN, r.bus.read(PM1_CNT, 2), "SLP_EN reads 0");
    }

    @Test
    void otherSleepTypesWakeAtOnce() {
        r.bus.write(PM1_CNT, 2, AcpiPm.SCI_EN | AcpiPm.SLP_TYP_S3 << 10 | AcpiPm.SLP_EN);
        assertEquals(0, r.powerOffs);
        assertEquals(AcpiPm.WAK_STS, r.bus.read(PM1_STS, 2) & AcpiPm.WAK_STS);
        r.bus.write(PM1_STS, 2, AcpiPm.WAK_STS);
        assertEquals(0, r.bus.read(PM1_STS, 2));
        r.bus.write(PM1_CNT + 1, 1, (AcpiPm.SLP_TYP_S5 << 10 | AcpiPm.SLP_EN) >> 8);   // byte write
        assertEquals(1, r.powerOffs);
    }

    @Test
    void powerButtonRaisesSci() {
        r.pm.pressPowerButton();
        assertEquals(AcpiPm.PWRBTN_STS, r.bus.read(PM1_STS, 2));
        assertFalse(r.sci.level(), "PWRBTN_EN clear");
        r.bus.write(PM1_STS, 2, AcpiPm.PWRBTN_STS);
        r.bus.write(PM1_CNT, 2, AcpiPm.SCI_EN);
        r.bus.write(PM1_EN, 2, AcpiPm.PWRBTN_EN);
        assertEquals(AcpiPm.PWRBTN_EN, r.bus.read(PM1_EN, 2));
        assertEquals(AcpiPm.PWRBTN_EN << 16, r.bus.read(PM1_STS, 4), "PM1_EVT as one dword");
        r.pm.pressPowerButton();
        assertTrue(r.sci.level());
        r.bus.write(PM1_STS, 2, AcpiPm.PWRBTN_STS);
        assertFalse(r.sci.level());
    }

    @Test
    void gpe0Block() {
        r.bus.write(PM1_CNT, 2, AcpiPm.SCI_EN);
        r.bus.write(GPE0_EN, 4, 0x0000_0004);
        assertEquals(4, r.bus.read(GPE0_EN, 4));
        r.pm.raiseGpe(1);
        assertFalse(r.sci.level());
        r.pm.raiseGpe(2);
        assertTrue(r.sci.level());
        assertEquals(6, r.bus.read(GPE0_STS, 4));
        r.bus.write(GPE0_STS, 1, 4);
        assertFalse(r.sci.level());
        assertEquals(2, r.bus.read(GPE0_STS, 4));
    }

    @Test
    void attachMovesTheBlock() {
        assertEquals(BASE, r.pm.base());
        r.pm.attach(r.bus, 0x600);
        assertEquals(0xFFFF, r.bus.read(PM1_CNT, 2), "the old ports are free");
        r.bus.write(0x604, 2, AcpiPm.SCI_EN);
        assertEquals(AcpiPm.SCI_EN, r.bus.read(0x604, 2));
        r.pm.detach();
        assertEquals(-1, r.pm.base());
        assertEquals(0xFFFF, r.bus.read(0x604, 2));
        r.pm.attach(r.bus, BASE);
        assertEquals(AcpiPm.SCI_EN, r.bus.read(PM1_CNT, 2));
    }

    @Test
    void saveRestoreMidOperation() {
        r.bus.write(PM1_CNT, 2, AcpiPm.SCI_EN);
        r.bus.write(PM1_EN, 2, AcpiPm.TMR_EN | AcpiPm.PWRBTN_EN);
        r.bus.write(GPE0_EN, 4, 0x10);
        r.pm.pressPowerButton();
        r.t.advanceTo(nanosAt(1 << 23) / 2);
        AcpiPm.State s = r.pm.save();

        Rig b = new Rig();
        b.t.advanceTo(r.t.now());
        b.pm.restore(s);
        assertEquals(s, b.pm.save());
        assertTrue(b.sci.edges().isEmpty(), "restore drives no line");
        b.sci.set(true);                                    // the PIC restored its own input
        assertEquals(r.bus.read(PM_TMR, 4), b.bus.read(PM_TMR, 4));
        for (Rig x : List.of(r, b)) {
            x.sci.clear();
            x.bus.write(PM1_STS, 2, AcpiPm.PWRBTN_STS);
            assertFalse(x.sci.level());
            x.t.advanceTo(nanosAt(1 << 23));
            assertTrue(x.sci.level());
            assertEquals(AcpiPm.TMR_STS, x.bus.read(PM1_STS, 2));
        }
        assertEquals(r.pm.save(), b.pm.save());
    }
}

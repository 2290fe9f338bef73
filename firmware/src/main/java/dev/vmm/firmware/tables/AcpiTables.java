package dev.vmm.firmware.tables;

import static dev.vmm.firmware.tables.Aml.device;
import static dev.vmm.firmware.tables.Aml.eisaId;
import static dev.vmm.firmware.tables.Aml.integer;
import static dev.vmm.firmware.tables.Aml.io;
import static dev.vmm.firmware.tables.Aml.irqNoFlags;
import static dev.vmm.firmware.tables.Aml.method;
import static dev.vmm.firmware.tables.Aml.name;
import static dev.vmm.firmware.tables.Aml.resourceTemplate;
import static dev.vmm.firmware.tables.Aml.ret;

import dev.vmm.devices.acpi.AcpiPm;
import dev.vmm.devices.apic.IoApic;
import dev.vmm.devices.apic.LocalApic;
import dev.vmm.devices.board.PcBoard;
import dev.vmm.devices.hpet.Hpet;
import dev.vmm.devices.pci.Piix3IsaBridge;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the ACPI tables of the {@link PcBoard}: RSDP (ACPI 2.0+), RSDT, XSDT, FADT (revision 3),
 * FACS, MADT, HPET and a DSDT generated with {@link Aml}.
 *
 * <p>The DSDT is static. {@code \_SB.PCI0._PRT} maps INTA#..INTD# of every slot 1-31 through the
 * PIIX3 swizzle ({@link Piix3IsaBridge#pirqOf}) to link devices {@code \_SB.LNKA..LNKD}, one per
 * PIRQ wire, whose {@code _CRS}/{@code _PRS} name the one GSI the BIOS's fixed {@link PirqRouting}
 * gives that wire (the ISA IRQ it programs into PIRQRC, which on this board is also the I/O APIC
 * pin). The routing is never changed by the OS: {@code _SRS} accepts only the current setting. The
 * links are there, rather than GSIs written straight into {@code _PRT}, because a bare GSI in
 * {@code _PRT} means level/active-low, while the PIIX3 drives the ISA line (and so the I/O APIC
 * pin) active-high; the links' Interrupt descriptors say Level, ActiveHigh, Shared, as QEMU's do.
 * The MADT agrees: it overrides the SCI and each PIRQ IRQ to level, active-high.
 *
 * <p>{@code PCI0} has {@code _HID} PNP0A03 and no {@code _ADR}: ACPI says a device has one or the
 * other, and iasl warns about both.
 *
 * <p>The FADT gives SMI_CMD = 0: the machine has no SMM and is always in ACPI mode, so the
 * firmware (or {@link AcpiPm}'s reset state) must have SCI_EN set when the OS starts.
 */
public final class AcpiTables {
    private static final Logger log = LoggerFactory.getLogger(AcpiTables.class);

    public static final String OEM_ID = "VMMJVM";
    public static final String OEM_TABLE_ID = "VMMJVMPC";
    public static final String CREATOR_ID = "VMMJ";
    public static final int FADT_REVISION = 3;
    public static final int FADT_LENGTH = 244;
    /** Size the caller should set aside for the table region (the tables need about 6 KiB). */
    public static final int REGION_SIZE = 0x4000;
    /** Bytes of ACPI NVS at the start of the region: one page, holding the FACS. */
    public static final int NVS_SIZE = 0x1000;
    /** The PIIX3 reset control register and the value that hard-resets the board. */
    public static final int RESET_PORT = Piix3IsaBridge.RESET_CONTROL_PORT;
    public static final int RESET_VALUE = Piix3IsaBridge.RC_RCPU | Piix3IsaBridge.RC_SRST;
    /** CMOS index of the century byte. */
    public static final int CMOS_CENTURY = 0x32;
    /** Minimum HPET tick in periodic mode that the HPET table advertises. */
    public static final int HPET_MIN_TICK = 0x80;

    // FADT flags (ACPI 6.x table 5.10).
    static final int FADT_WBINVD = 1;
    static final int FADT_PROC_C1 = 1 << 2;
    static final int FADT_SLP_BUTTON = 1 << 5;
    static final int FADT_RESET_REG_SUP = 1 << 10;
    // IAPC_BOOT_ARCH.
    static final int BOOT_LEGACY_DEVICES = 1;
    static final int BOOT_8042 = 2;

    /**
     * What the tables describe beyond the fixed board.
     *
     * @param pciMemBase  start of the PCI memory window: the top of RAM below 4 GiB (the window ends
     *                    at 0xFEBFFFFF)
     * @param pirq        the PIRQ routing the BIOS programs
     * @param comPresent  which of COM1..COM4 exist (4 entries)
     */
    public record Config(long pciMemBase, PirqRouting pirq, List<Boolean> comPresent) {
        public Config {
            if (pciMemBase < 0x10_0000 || pciMemBase >= IoApic.DEFAULT_BASE || (pciMemBase & 0xFFF) != 0) {
                throw new IllegalArgumentException("PCI window base must be 4 KiB aligned, 1 MiB..0xFEC00000");
            }
            comPresent = List.copyOf(comPresent);
            if (comPresent.size() != 4) {
                throw new IllegalArgumentException("comPresent lists COM1..COM4");
            }
        }

        /** RAM size {@code ramBytes}, SeaBIOS's PIRQ routing, COM1 only. */
        public static Config of(long ramBytes) {
            return new Config(ramBytes, PirqRouting.SEABIOS, List.of(true, false, false, false));
        }
    }

    private AcpiTables() {
    }

    /**
     * Builds all tables.
     *
     * @param config       what to describe
     * @param regionBase   physical address of the table region (4 KiB aligned; {@link #REGION_SIZE}
     *                     bytes, e.g. at the top of RAM)
     * @param rsdpAddress  physical address of the RSDP: 16-byte aligned in 0xE0000-0xFFFFF
     */
    public static TableLayout build(Config config, long regionBase, long rsdpAddress) {
        if ((regionBase & 0xFFF) != 0 || regionBase + REGION_SIZE > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("table region must be 4 KiB aligned below 4 GiB");
        }
        if ((rsdpAddress & 0xF) != 0 || rsdpAddress < 0xE0000 || rsdpAddress + 36 > 0x10_0000) {
            throw new IllegalArgumentException("RSDP must be 16-byte aligned in 0xE0000-0xFFFFF");
        }
        ByteSink region = new ByteSink();
        Map<String, Long> where = new LinkedHashMap<>();

        where.put("FACS", regionBase);
        region.bytes(facs());
        region.zeros(NVS_SIZE - region.size());

        long dsdt = place(region, regionBase, where, "DSDT", dsdt(config));
        long facs = where.get("FACS");
        place(region, regionBase, where, "FACP", fadt(facs, dsdt));
        place(region, regionBase, where, "APIC", madt(config));
        place(region, regionBase, where, "HPET", hpet());
        List<Long> pointed = List.of(where.get("FACP"), where.get("APIC"), where.get("HPET"));
        long rsdt = place(region, regionBase, where, "RSDT", rsdt(pointed));
        long xsdt = place(region, regionBase, where, "XSDT", xsdt(pointed));
        region.align(0x1000);
        if (region.size() > REGION_SIZE) {
            throw new IllegalStateException("ACPI tables outgrew their region: " + region.size());
        }
        byte[] rsdp = rsdp(rsdt, xsdt);
        log.debug("ACPI tables: RSDP at {}, region {} + {} bytes, {}", Long.toHexString(rsdpAddress),
                Long.toHexString(regionBase), region.size(), where);
        return new TableLayout(rsdpAddress, rsdp, regionBase, region.toArray(), NVS_SIZE, where);
    }

    private static long place(ByteSink region, long base, Map<String, Long> where, String sig, byte[] table) {
        region.align(16);
        long at = base + region.size();
        where.put(sig, at);
        region.bytes(table);
        return at;
    }

    // ---- common header ---------------------------------------------------------------------------

    /** A table: the 36-byte header followed by {@code body}, with length and checksum filled in. */
    static byte[] table(String signature, int revision, byte[] body) {
        ByteSink s = new ByteSink();
        s.ascii(signature, 4).u32(36 + body.length).u8(revision).u8(0).ascii(OEM_ID, 6).ascii(OEM_TABLE_ID, 8)
                .u32(1).ascii(CREATOR_ID, 4).u32(1).bytes(body);
        byte[] b = s.toArray();
        b[9] = (byte) ByteSink.checksum(b, 0, b.length);
        return b;
    }

    // ---- RSDP, RSDT, XSDT ------------------------------------------------------------------------

    static byte[] rsdp(long rsdt, long xsdt) {
        ByteSink s = new ByteSink();
        s.ascii("RSD PTR ", 8).u8(0).ascii(OEM_ID, 6).u8(2).u32(rsdt).u32(36).u64(xsdt).u8(0).zeros(3);
        byte[] b = s.toArray();
        b[8] = (byte) ByteSink.checksum(b, 0, 20);
        b[32] = (byte) ByteSink.checksum(b, 0, 36);
        return b;
    }

    static byte[] rsdt(List<Long> tables) {
        ByteSink s = new ByteSink();
        tables.forEach(s::u32);
        return table("RSDT", 1, s.toArray());
    }

    static byte[] xsdt(List<Long> tables) {
        ByteSink s = new ByteSink();
        tables.forEach(s::u64);
        return table("XSDT", 1, s.toArray());
    }

    // ---- FADT, FACS ------------------------------------------------------------------------------

    /** A Generic Address Structure. */
    static void gas(ByteSink s, int space, int bitWidth, int accessSize, long address) {
        s.u8(space).u8(bitWidth).u8(0).u8(accessSize).u64(address);
    }

    private static final int GAS_MEMORY = 0;
    private static final int GAS_IO = 1;

    static byte[] fadt(long facs, long dsdt) {
        int pm = PcBoard.PM_BASE;
        int evt = pm + AcpiPm.PM1_EVT_OFFSET;
        int cnt = pm + AcpiPm.PM1_CNT_OFFSET;
        int tmr = pm + AcpiPm.PM_TMR_OFFSET;
        int gpe = pm + AcpiPm.GPE0_OFFSET;
        ByteSink s = new ByteSink();
        s.u32(facs).u32(dsdt);
        s.u8(0);                          // 44 reserved
        s.u8(1);                          // 45 Preferred_PM_Profile: desktop
        s.u16(PcBoard.SCI_IRQ);           // 46 SCI_INT
        s.u32(0);                         // 48 SMI_CMD: none, always in ACPI mode
        s.u8(0).u8(0).u8(0).u8(0);        // 52 ACPI_ENABLE, ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT
        s.u32(evt).u32(0);                // 56 PM1a_EVT_BLK, PM1b_EVT_BLK
        s.u32(cnt).u32(0);                // 64 PM1a_CNT_BLK, PM1b_CNT_BLK
        s.u32(0);                         // 72 PM2_CNT_BLK
        s.u32(tmr);                       // 76 PM_TMR_BLK
        s.u32(gpe).u32(0);                // 80 GPE0_BLK, GPE1_BLK
        s.u8(AcpiPm.PM1_EVT_LEN).u8(AcpiPm.PM1_CNT_LEN).u8(0).u8(AcpiPm.PM_TMR_LEN); // 88
        s.u8(AcpiPm.GPE0_LEN).u8(0).u8(0).u8(0); // 92 GPE0_BLK_LEN, GPE1_BLK_LEN, GPE1_BASE, CST_CNT
        s.u16(0x0FFF).u16(0x0FFF);        // 96 P_LVL2_LAT, P_LVL3_LAT: C2/C3 unsupported
        s.u16(0).u16(0);                  // 100 FLUSH_SIZE, FLUSH_STRIDE
        s.u8(0).u8(0);                    // 104 DUTY_OFFSET, DUTY_WIDTH
        s.u8(0).u8(0).u8(CMOS_CENTURY);   // 106 DAY_ALRM, MON_ALRM, CENTURY
        s.u16(BOOT_LEGACY_DEVICES | BOOT_8042); // 109 IAPC_BOOT_ARCH
        s.u8(0);                          // 111 reserved
        s.u32(FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_RESET_REG_SUP); // 112 Flags
        gas(s, GAS_IO, 8, 1, RESET_PORT); // 116 RESET_REG
        s.u8(RESET_VALUE);                // 128 RESET_VALUE
        s.u16(0).u8(0);                   // 129 ARM_BOOT_ARCH, FADT minor version (ACPI 5.1+)
        s.u64(facs).u64(dsdt);            // 132 X_FIRMWARE_CTRL, X_DSDT
        gas(s, GAS_IO, AcpiPm.PM1_EVT_LEN * 8, 2, evt); // 148 X_PM1a_EVT_BLK
        gas(s, 0, 0, 0, 0);               // 160 X_PM1b_EVT_BLK
        gas(s, GAS_IO, AcpiPm.PM1_CNT_LEN * 8, 2, cnt); // 172 X_PM1a_CNT_BLK
        gas(s, 0, 0, 0, 0);               // 184 X_PM1b_CNT_BLK
        gas(s, 0, 0, 0, 0);               // 196 X_PM2_CNT_BLK
        gas(s, GAS_IO, AcpiPm.PM_TMR_LEN * 8, 3, tmr); // 208 X_PM_TMR_BLK
        gas(s, GAS_IO, AcpiPm.GPE0_LEN * 8, 1, gpe); // 220 X_GPE0_BLK
        gas(s, 0, 0, 0, 0);               // 232 X_GPE1_BLK
        byte[] t = table("FACP", FADT_REVISION, s.toArray());
        if (t.length != FADT_LENGTH) {
            throw new IllegalStateException("FADT length " + t.length);
        }
        return t;
    }

    /** FACS version 2 (ACPI 4.0+); 64 bytes, no checksum. */
    static byte[] facs() {
        ByteSink s = new ByteSink();
        s.ascii("FACS", 4).u32(64).u32(0).u32(0).u32(0).u32(0).u64(0).u8(2).zeros(3).u32(0).zeros(24);
        return s.toArray();
    }

    // ---- MADT ------------------------------------------------------------------------------------

    static final int MADT_PCAT_COMPAT = 1;
    /** MPS INTI flags: polarity active-high (01), trigger level (11). */
    static final int INTI_LEVEL_HIGH = 0x01 | 0x0C;

    static byte[] madt(Config config) {
        ByteSink s = new ByteSink();
        s.u32(LocalApic.DEFAULT_BASE).u32(MADT_PCAT_COMPAT);
        s.u8(0).u8(8).u8(0).u8(0).u32(1);                                   // processor local APIC: UID 0, ID 0, enabled
        s.u8(1).u8(12).u8(0).u8(0).u32(IoApic.DEFAULT_BASE).u32(0);          // I/O APIC ID 0, GSI base 0
        s.u8(2).u8(10).u8(0).u8(0).u32(2).u16(0);                           // ISA IRQ0 -> GSI 2, conforming
        int levelIrqs = 1 << PcBoard.SCI_IRQ | config.pirq().irqMask();
        for (int irq = 1; irq < 16; irq++) {
            if ((levelIrqs >>> irq & 1) != 0) {
                s.u8(2).u8(10).u8(0).u8(irq).u32(irq).u16(INTI_LEVEL_HIGH); // SCI and PIRQ IRQs: level, high
            }
        }
        s.u8(4).u8(6).u8(0xFF).u16(0).u8(1);                                // local APIC NMI on LINT1, all CPUs
        return table("APIC", 1, s.toArray());
    }

    // ---- HPET ------------------------------------------------------------------------------------

    static byte[] hpet() {
        ByteSink s = new ByteSink();
        s.u32(Hpet.CAPABILITIES & 0xFFFF_FFFFL);   // event timer block ID: capabilities' low half
        gas(s, GAS_MEMORY, 64, 0, Hpet.DEFAULT_BASE);
        s.u8(0);                                    // HPET number
        s.u16(HPET_MIN_TICK);
        s.u8(0);                                    // page protection: none
        return table("HPET", 1, s.toArray());
    }

    // ---- DSDT ------------------------------------------------------------------------------------

    static final String[] LINKS = {"LNKA", "LNKB", "LNKC", "LNKD"};

    static byte[] dsdt(Config config) {
        List<byte[]> sb = new ArrayList<>();
        sb.add(pci0(config));
        for (int p = 0; p < 4; p++) {
            sb.add(link(p, config.pirq().irq(p)));
        }
        byte[] aml = Aml.seq(
                Aml.scope("\\_SB", sb.toArray(byte[][]::new)),
                name("\\_S5", Aml.pkg(integer(AcpiPm.SLP_TYP_S5), integer(AcpiPm.SLP_TYP_S5), Aml.zero(),
                        Aml.zero())));
        return table("DSDT", 2, aml);
    }

    private static byte[] pci0(Config config) {
        byte[] crs = resourceTemplate(
                Aml.wordBusNumber(0, 0xFF),
                io(0xCF8, 0xCF8, 1, 8),
                Aml.dwordIo(0x0000, 0x0CF7),
                Aml.dwordIo(0x0D00, 0xFFFF),
                Aml.dwordMemory(0xA_0000, 0xB_FFFF),
                Aml.dwordMemory(config.pciMemBase(), IoApic.DEFAULT_BASE - 1));
        List<byte[]> prt = new ArrayList<>();
        for (int slot = 1; slot < 32; slot++) {
            for (int pin = 0; pin < 4; pin++) {
                prt.add(Aml.pkg(integer((long) slot << 16 | 0xFFFF), integer(pin),
                        Aml.nameString("\\_SB." + LINKS[Piix3IsaBridge.pirqOf(slot, pin + 1)]), Aml.zero()));
            }
        }
        return device("PCI0",
                name("_HID", eisaId("PNP0A03")),
                name("_UID", Aml.zero()),
                name("_CRS", crs),
                name("_PRT", Aml.pkg(prt.toArray(byte[][]::new))),
                isa(config));
    }

    private static byte[] isa(Config config) {
        List<byte[]> devs = new ArrayList<>();
        devs.add(name("_ADR", integer(0x0001_0000)));
        devs.add(device("RTC", name("_HID", eisaId("PNP0B00")),
                name("_CRS", resourceTemplate(io(0x70, 0x70, 1, 2), irqNoFlags(8)))));
        devs.add(device("KBD", name("_HID", eisaId("PNP0303")),
                name("_CRS", resourceTemplate(io(0x60, 0x60, 1, 1), io(0x64, 0x64, 1, 1), irqNoFlags(1)))));
        devs.add(device("MOU", name("_HID", eisaId("PNP0F13")),
                name("_CRS", resourceTemplate(irqNoFlags(12)))));
        for (int n = 0; n < 4; n++) {
            if (config.comPresent().get(n)) {
                int base = PcBoard.COM_BASES[n];
                devs.add(device("COM" + (n + 1), name("_HID", eisaId("PNP0501")), name("_UID", integer(n + 1)),
                        name("_CRS", resourceTemplate(io(base, base, 1, 8), irqNoFlags(PcBoard.COM_IRQS[n])))));
            }
        }
        devs.add(device("HPET", name("_HID", eisaId("PNP0103")), name("_UID", Aml.zero()),
                method("_STA", 0, false, ret(integer(0x0F))),
                name("_CRS", resourceTemplate(Aml.memory32Fixed(Hpet.DEFAULT_BASE, Hpet.SIZE)))));
        return device("ISA", devs.toArray(byte[][]::new));
    }

    /** A PCI interrupt link device fixed at {@code gsi}: present, enabled, not reconfigurable. */
    private static byte[] link(int pirq, int gsi) {
        byte[] res = resourceTemplate(Aml.interrupt(true, false, true, gsi));
        return device(LINKS[pirq],
                name("_HID", eisaId("PNP0C0F")),
                name("_UID", integer(pirq)),
                name("_PRS", res),
                name("_CRS", res),
                method("_STA", 0, false, ret(integer(0x0B))),
                method("_SRS", 1, false),
                method("_DIS", 0, false));
    }
}

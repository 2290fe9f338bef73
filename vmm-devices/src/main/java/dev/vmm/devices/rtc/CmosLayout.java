package dev.vmm.devices.rtc;

import java.time.ZoneOffset;

/**
 * Fills the CMOS RAM the way a PC's setup leaves it for the BIOS.
 *
 * <table>
 * <caption>Bytes written, and where their meaning is defined</caption>
 * <tr><th>byte</th><th>content</th><th>source</th></tr>
 * <tr><td>0x0E</td><td>diagnostic status: 0 (no POST errors)</td><td>IBM PC AT Technical
 *     Reference, "CMOS RAM address map"</td></tr>
 * <tr><td>0x0F</td><td>shutdown status: 0 (normal reset)</td><td>IBM AT</td></tr>
 * <tr><td>0x10</td><td>diskette types: 0 (no drives)</td><td>IBM AT</td></tr>
 * <tr><td>0x14</td><td>equipment: bits 7-6 and 0 diskette drives (none), bits 5-4 = 00 primary
 *     display with its own BIOS (VGA), bit 2 pointing device, bit 1 math coprocessor</td>
 *     <td>IBM AT (bit 2 from the PS/2 BIOS, as QEMU and SeaBIOS use it)</td></tr>
 * <tr><td>0x15-0x16</td><td>base memory in KiB: 640</td><td>IBM AT</td></tr>
 * <tr><td>0x17-0x18</td><td>extended memory above 1 MiB in KiB, at most 0xFFFF</td>
 *     <td>IBM AT</td></tr>
 * <tr><td>0x2E-0x2F</td><td>checksum (16-bit sum of 0x10-0x2D, high byte first)</td>
 *     <td>IBM AT</td></tr>
 * <tr><td>0x30-0x31</td><td>same as 0x17-0x18 (extended memory found by POST)</td>
 *     <td>IBM AT</td></tr>
 * <tr><td>0x32</td><td>century, in the RTC's data format (BCD unless register B says binary)</td>
 *     <td>IBM AT; the ACPI FADT CENTURY field names this byte</td></tr>
 * <tr><td>0x34-0x35</td><td>RAM between 16 MiB and 4 GiB in 64 KiB units, at most 0xFFFF</td>
 *     <td>Bochs/QEMU convention read by SeaBIOS (CMOS_MEM_EXTMEM2)</td></tr>
 * <tr><td>0x5B-0x5D</td><td>RAM above 4 GiB in 64 KiB units (24 bits)</td><td>QEMU/SeaBIOS
 *     (CMOS_MEM_HIGHMEM)</td></tr>
 * <tr><td>0x5F</td><td>number of CPUs minus one</td><td>QEMU/SeaBIOS (CMOS_BIOS_SMP_COUNT)</td></tr>
 * </table>
 * Hard-disk types (0x12, 0x19-0x2D) and boot order (0x38, 0x3D) are not written yet.
 */
public final class CmosLayout {
    private static final long KIB = 1024;
    private static final long MIB = 1024 * KIB;
    private static final long CHUNK = 64 * KIB;

    /**
     * The machine as the CMOS describes it.
     *
     * @param ramAbove4g RAM mapped above 4 GiB, in bytes
     * @param cpus number of CPUs (at least 1)
     * @param fpu a math coprocessor is present
     * @param pointingDevice a PS/2 mouse port is present
     */
    public record Machine(long ramAbove4g, int cpus, boolean fpu, boolean pointingDevice) {
        public Machine {
            if (ramAbove4g < 0 || cpus < 1 || cpus > 256) {
                throw new IllegalArgumentException("bad machine: " + ramAbove4g + " / " + cpus);
            }
        }

        /** One CPU with an FPU, a PS/2 mouse port, no RAM above 4 GiB. */
        public static Machine basic() {
            return new Machine(0, 1, true, true);
        }
    }

    private CmosLayout() {
    }

    /** {@link #fill(CmosRtc, long, Machine)} for a {@link Machine#basic()} machine. */
    public static void fill(CmosRtc rtc, long ramBytes) {
        fill(rtc, ramBytes, Machine.basic());
    }

    /**
     * @param ramBytes RAM below 4 GiB, in bytes (the first 640 KiB of it being base memory)
     */
    public static void fill(CmosRtc rtc, long ramBytes, Machine machine) {
        rtc.setCmosByte(0x0E, 0);
        rtc.setCmosByte(0x0F, 0);
        rtc.setCmosByte(0x10, 0);
        rtc.setCmosByte(0x14, (machine.pointingDevice() ? 0x04 : 0) | (machine.fpu() ? 0x02 : 0));
        word(rtc, 0x15, 640);
        long extKib = Math.clamp((ramBytes - MIB) / KIB, 0, 0xFFFF);
        word(rtc, 0x17, (int) extKib);
        word(rtc, 0x30, (int) extKib);
        long above16m = Math.clamp((ramBytes - 16 * MIB) / CHUNK, 0, 0xFFFF);
        word(rtc, 0x34, (int) above16m);
        long above4g = Math.min(machine.ramAbove4g() / CHUNK, 0xFF_FFFF);
        rtc.setCmosByte(0x5B, (int) (above4g & 0xFF));
        rtc.setCmosByte(0x5C, (int) (above4g >> 8 & 0xFF));
        rtc.setCmosByte(0x5D, (int) (above4g >> 16 & 0xFF));
        rtc.setCmosByte(0x5F, machine.cpus() - 1);
        int century = rtc.baseTime().atOffset(ZoneOffset.UTC).getYear() / 100;
        boolean binary = (rtc.cmosByte(CmosRtc.REG_B) & RtcCalendar.B_BINARY) != 0;
        rtc.setCmosByte(0x32, binary ? century : (century / 10) << 4 | century % 10);
        int sum = 0;
        for (int a = 0x10; a <= 0x2D; a++) {
            sum += rtc.cmosByte(a);
        }
        rtc.setCmosByte(0x2E, sum >> 8 & 0xFF);
        rtc.setCmosByte(0x2F, sum & 0xFF);
    }

    private static void word(CmosRtc rtc, int addr, int value) {
        rtc.setCmosByte(addr, value & 0xFF);
        rtc.setCmosByte(addr + 1, value >> 8 & 0xFF);
    }
}

package dev.vmm.devices.pit;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;

/**
 * Port 0x61, "NMI status and control" of the AT/PIIX: the speaker and channel 2 of the PIT.
 *
 * <p>Bits: 0 = timer 2 GATE (read/write), 1 = speaker data enable (read/write), 2 = parity/SERR
 * check enable, 3 = I/O channel check enable (both stored and read back), 4 = refresh toggle
 * (read only), 5 = timer 2 OUT (read only), 6 = I/O channel check status and 7 = parity/SERR
 * status (read only, always 0: no such errors are modelled).
 *
 * <p>Bit 4 is derived from guest time: on the AT it followed channel 1 counting 18 CLKs per
 * DRAM refresh request, so it toggles every 18 PIT ticks (15.09 us); BIOS delay loops count
 * those toggles. Chipsets generate it themselves, so reprogramming channel 1 does not change it.
 *
 * <p>Linux calibrates the TSC against channel 2 through this port (arch/x86/kernel/tsc.c:
 * {@code quick_pit_calibrate} counts down from 0xFFFF with GATE high, {@code pit_calibrate_tsc}
 * polls bit 5 until a 10 ms or 50 ms mode 0 count ends). The written bits are kept in the
 * {@link Pit8254}'s state, so the port has no state of its own.
 */
public final class SpeakerPort implements PortIoDevice {
    /** PIT ticks per refresh toggle. */
    static final int REFRESH_TICKS = 18;

    private final Pit8254 pit;

    public SpeakerPort(Pit8254 pit) {
        this.pit = pit;
    }

    /** Claims port 0x61 on {@code bus}. */
    public void attach(PioBus bus) {
        bus.register(0x61, 1, "speaker", this);
    }

    @Override
    public int ioRead(int port, int size) {
        boolean refresh = (pit.tick() / REFRESH_TICKS & 1) != 0;
        return pit.port61() | (refresh ? 0x10 : 0) | (pit.out2() ? 0x20 : 0);
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        pit.setPort61(value);
        pit.setGate2((value & 1) != 0);
    }

    /** True when the speaker cone follows timer 2's OUT (bits 0 and 1 set). */
    public boolean speakerEnabled() {
        return (pit.port61() & 3) == 3;
    }
}

package dev.vmm.devices.pit;

import dev.vmm.core.bus.PioBus;
import dev.vmm.core.bus.PortIoDevice;
import dev.vmm.core.persist.Persist;

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
 */
public final class SpeakerPort implements PortIoDevice, Persist<SpeakerPort.State> {
    /** PIT ticks per refresh toggle. */
    static final int REFRESH_TICKS = 18;

    /** @param control bits 0-3 as last written */
    public record State(int control) {
    }

    private final Pit8254 pit;
    private int control;

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
        return control | (refresh ? 0x10 : 0) | (pit.out2() ? 0x20 : 0);
    }

    @Override
    public void ioWrite(int port, int size, int value) {
        control = value & 0x0F;
        pit.setGate2((value & 1) != 0);
    }

    /** True when the speaker cone follows timer 2's OUT (bits 0 and 1 set). */
    public boolean speakerEnabled() {
        return (control & 3) == 3;
    }

    @Override
    public State save() {
        return new State(control);
    }

    @Override
    public void restore(State s) {
        control = s.control() & 0x0F;
    }
}

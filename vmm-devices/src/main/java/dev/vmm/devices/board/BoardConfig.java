package dev.vmm.devices.board;

import dev.vmm.devices.ide.IdeDrive;
import dev.vmm.devices.serial.SerialBackend;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What a PC board is built from: memory size, time mode, serial backends, IDE drives and the test
 * devices. Host resources (backends, images, streams) are created and closed by the caller.
 *
 * @param memoryBytes   guest RAM, a multiple of 4 KiB
 * @param deterministic derive guest time from the instruction count (repeatable runs)
 * @param rtcTime       the wall-clock time the RTC starts from
 * @param serial        backends of COM1..COM4 (null: port absent)
 * @param drives        IDE drives
 * @param debugConsole  where port 0xE9 output goes (null: absent)
 * @param debugExit     whether the exit device on port 0xF4 is present
 * @param roms          the board's ROM chips (see {@link Roms}); never null
 */
public record BoardConfig(long memoryBytes, boolean deterministic, Instant rtcTime, List<SerialBackend> serial,
                          List<Drive> drives, OutputStream debugConsole, boolean debugExit, Roms roms) {

    /**
     * The board's ROM chips.
     *
     * @param flash  the BIOS flash image, mapped so that it ends at 4 GiB, its top 128 KiB also
     *               below 1 MiB behind the i440FX's PAM shadowing ({@link ShadowRam}); null: no
     *               flash (firmware such as the project's BIOS is installed after the build)
     * @param vgaRom the option ROM of a PCI VGA card at 00:02.0 ({@link dev.vmm.devices.pci.PciVga});
     *               null: no PCI VGA card (the VGA is the ISA-style device alone)
     */
    public record Roms(byte[] flash, byte[] vgaRom) {
        public static final Roms NONE = new Roms(null, null);

        public Roms {
            flash = flash == null ? null : flash.clone();
            vgaRom = vgaRom == null ? null : vgaRom.clone();
            if (flash != null
                    && (flash.length < 0x1_0000 || flash.length > (16 << 20) || (flash.length & 0xFFFF) != 0)) {
                throw new IllegalArgumentException("a flash image is a multiple of 64 KiB between 64 KiB and 16 MiB");
            }
        }

        @Override
        public byte[] flash() {
            return flash == null ? null : flash.clone();
        }

        @Override
        public byte[] vgaRom() {
            return vgaRom == null ? null : vgaRom.clone();
        }
    }

    /** An IDE drive on {@code channel} (0 primary, 1 secondary), {@code unit} (0 master, 1 slave). */
    public record Drive(int channel, int unit, IdeDrive drive) {
        public Drive {
            if (channel < 0 || channel > 1 || unit < 0 || unit > 1) {
                throw new IllegalArgumentException("IDE position must be channel 0-1, unit 0-1");
            }
        }
    }

    public BoardConfig {
        if (memoryBytes < (1 << 20) || (memoryBytes & 0xFFF) != 0) {
            throw new IllegalArgumentException("memory must be at least 1 MiB and a multiple of 4 KiB");
        }
        serial = java.util.Collections.unmodifiableList(new ArrayList<>(serial));
        drives = List.copyOf(drives);
        if (serial.size() != 4) {
            throw new IllegalArgumentException("serial lists COM1..COM4");
        }
        roms = roms == null ? Roms.NONE : roms;
    }

    public SerialBackend serial(int n) {
        return serial.get(n);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds the board this config describes. */
    public PcBoard build() {
        return new PcBoard(this);
    }

    /** A readable way to write a config. */
    public static final class Builder {
        private long memory = 128L << 20;
        private boolean deterministic;
        private Instant rtcTime;
        private final SerialBackend[] serial = new SerialBackend[4];
        private final List<Drive> drives = new ArrayList<>();
        private OutputStream debugConsole;
        private boolean debugExit;
        private byte[] flash;
        private byte[] vgaRom;

        public Builder memory(long bytes) {
            this.memory = bytes;
            return this;
        }

        /** Deterministic time; the RTC starts at 2000-01-01 unless {@link #rtcTime} says otherwise. */
        public Builder deterministic(boolean on) {
            this.deterministic = on;
            return this;
        }

        public Builder rtcTime(Instant t) {
            this.rtcTime = t;
            return this;
        }

        /** Connects COM{@code n+1}. */
        public Builder serial(int n, SerialBackend backend) {
            serial[n] = backend;
            return this;
        }

        public Builder drive(int channel, int unit, IdeDrive drive) {
            drives.add(new Drive(channel, unit, drive));
            return this;
        }

        public Builder debugConsole(OutputStream sink) {
            this.debugConsole = sink;
            return this;
        }

        public Builder debugExit(boolean on) {
            this.debugExit = on;
            return this;
        }

        /** A BIOS flash chip holding {@code image} (see {@link Roms#flash()}). */
        public Builder firmware(byte[] image) {
            this.flash = image == null ? null : image.clone();
            return this;
        }

        /** A PCI VGA card whose option ROM holds {@code rom} (see {@link Roms#vgaRom()}). */
        public Builder vgaRom(byte[] rom) {
            this.vgaRom = rom == null ? null : rom.clone();
            return this;
        }

        public BoardConfig config() {
            Instant t = rtcTime != null ? rtcTime
                    : deterministic ? Instant.parse("2000-01-01T00:00:00Z") : Instant.now();
            return new BoardConfig(memory, deterministic, t, java.util.Arrays.asList(serial.clone()), drives,
                    debugConsole, debugExit, new Roms(flash, vgaRom));
        }

        public PcBoard build() {
            return config().build();
        }
    }
}

package dev.vmm.devices.board;

/** The literal values of the golden PC snapshots (see GoldenPcSnapshotTest). Never change them. */
final class GoldenValues {
    static final long ICOUNT = 2731;
    static final long NANOS = 29_996_269;
    static final long RIP = 0x7c49;
    static final String RAM_SHA256 = "bde57c0b87401405ab7cd7a4c702ed202259edffffc39dedabad5ce72e3926ef";
    static final String REST = "NuOvGoNpEPMQDRLSCuKvBoJpAXIYPZH[OuGvNoEpM`DaLbCcKuBvJoApIhPiHj";


    /**
     * snapshots/golden-pc-2.vmmsnap (format 2), written later at the same tick: the same instruction count,
     * RIP and RAM; guest time 6 ns earlier (the deterministic clock's idle skipping changed in between), so
     * the first TSC-derived letter after the save differs.
     */
    static final long NANOS_2 = 29_996_263;
    static final String REST_2 = "HuOvGoNpEPMQDRLSCuKvBoJpAXIYPZH[OuGvNoEpM`DaLbCcKuBvJoApIhPiHj";

    private GoldenValues() {
    }
}

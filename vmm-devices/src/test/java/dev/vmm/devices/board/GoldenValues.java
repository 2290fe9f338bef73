package dev.vmm.devices.board;

/** The literal values of snapshots/golden-pc-1.vmmsnap (see GoldenPcSnapshotTest). Never change them. */
final class GoldenValues {
    static final long ICOUNT = 2731;
    static final long NANOS = 29_996_269;
    static final long RIP = 0x7c49;
    static final String RAM_SHA256 = "bde57c0b87401405ab7cd7a4c702ed202259edffffc39dedabad5ce72e3926ef";
    static final String REST = "NuOvGoNpEPMQDRLSCuKvBoJpAXIYPZH[OuGvNoEpM`DaLbCcKuBvJoApIhPiHj";

    private GoldenValues() {
    }
}

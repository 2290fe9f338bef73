package dev.vmm.devices.appliance;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An OVF descriptor: the virtual machine of an appliance (name, guest OS, CPUs, memory, the
 * network it attaches to, its disks, its CD drive, and vmm's direct Linux boot) and the files
 * the appliance carries.
 *
 * <p>{@link #toXml()} writes it ({@link OvfWriter}): an {@code Envelope} in the DMTF OVF
 * namespace of {@link #ovfVersion} 1.0 or 2.0 with {@code References}, {@code DiskSection}
 * (streamOptimized VMDK), {@code NetworkSection} and one {@code VirtualSystem} with an
 * {@code OperatingSystemSection} and a {@code VirtualHardwareSection} (RASD items CPU = 3,
 * memory = 4 in {@code byte * 2^20}, two IDE controllers = 5, Ethernet = 10 (E1000) with its
 * Connection, CD = 15 and disks = 17 on the controllers). {@link #parse(byte[])}
 * ({@link OvfParser}) reads that back, and what other tools write: VirtualBox's
 * {@code /disk/vmdisk1} host resources, OVF 2.0 {@code StorageItem}/{@code EthernetPortItem},
 * other units; unknown sections and extensions ({@code vbox:Machine}) are ignored.
 *
 * <p>vmm's own sections are in the namespace {@link #VMM_NS} with {@code ovf:required="false"}, so
 * other hypervisors skip them: {@code vmm:BootSection} (direct kernel boot) and
 * {@code vmm:SavedStateSection} (the saved state of a suspended VM, a file of the OVA, with the
 * SHA-256 of each disk's contents that state refers to).
 *
 * @param ovfVersion    "1.0" or "2.0"
 * @param name          the virtual system's name
 * @param osId          the CIM_OperatingSystem OsType: see {@link #OS_OTHER}, {@link #OS_LINUX},
 *                      {@link #OS_LINUX_64}, {@link #OS_OTHER_64}
 * @param osDescription free text for the OS (may be empty)
 * @param cpus          virtual CPUs
 * @param memoryMiB     memory in MiB
 * @param network       the logical network name the Ethernet adapter connects to ("" for none)
 * @param files         the files of {@code References}, in order (disks first)
 * @param disks         the disks in the order the machine sees them (IDE primary master first)
 * @param cdrom         the CD drive, or null for none
 * @param boot          vmm's direct kernel boot, or null
 * @param state         the saved state of a suspended VM, or null
 */
public record OvfDescriptor(String ovfVersion, String name, int osId, String osDescription,
                            int cpus, long memoryMiB, String network, List<FileRef> files,
                            List<Disk> disks, Cdrom cdrom, Boot boot, SavedState state) {
    public static final String OVF_NS = "http://schemas.dmtf.org/ovf/envelope/1";
    public static final String OVF2_NS = "http://schemas.dmtf.org/ovf/envelope/2";
    public static final String RASD_NS =
            "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData";
    public static final String VSSD_NS =
            "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData";
    public static final String SASD_NS = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
            + "CIM_StorageAllocationSettingData.xsd";
    public static final String EPASD_NS = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
            + "CIM_EthernetPortAllocationSettingData.xsd";
    /** vmm's extension sections: direct kernel boot, saved state (ovf:required="false"). */
    public static final String VMM_NS = "urn:vmm:ovf:1";
    public static final String STREAM_OPTIMIZED_FORMAT =
            "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized";
    public static final String SYSTEM_TYPE = "vmx-07";

    /** CIM OsType 1: Other. */
    public static final int OS_OTHER = 1;
    /** CIM OsType 36: LINUX. */
    public static final int OS_LINUX = 36;
    /** CIM OsType 101: Linux 64-Bit. */
    public static final int OS_LINUX_64 = 101;
    /** CIM OsType 102: Other 64-Bit. */
    public static final int OS_OTHER_64 = 102;

    static final int RT_CPU = 3;
    static final int RT_MEMORY = 4;
    static final int RT_IDE = 5;
    static final int RT_ETHERNET = 10;
    static final int RT_CD = 15;
    static final int RT_DISK = 17;

    /** The IDE positions of disks 0, 1, 2: (controller, unit); the CD is on 1:0. */
    static final int[][] DISK_SLOTS = {{0, 0}, {0, 1}, {1, 1}};
    /** At most this many disks: three IDE positions beside the CD. */
    public static final int MAX_DISKS = DISK_SLOTS.length;

    /**
     * A file of {@code References}.
     *
     * @param href the file name inside the OVA
     * @param size its size in bytes, -1 if the descriptor does not say
     */
    public record FileRef(String href, long size) {
        public FileRef {
            Objects.requireNonNull(href);
        }
    }

    /**
     * One disk.
     *
     * @param diskId        the DiskSection id ({@code vmdisk1}, ...)
     * @param href          the file name inside the OVA
     * @param capacityBytes the virtual size
     * @param fileSize      the size of the file in the OVA, -1 if not declared
     */
    public record Disk(String diskId, String href, long capacityBytes, long fileSize) {
        public Disk {
            Objects.requireNonNull(diskId);
            Objects.requireNonNull(href);
        }
    }

    /**
     * The CD drive.
     *
     * @param href the CD image inside the OVA, or null for an empty drive
     */
    public record Cdrom(String href) {
    }

    /**
     * vmm's direct Linux boot.
     *
     * @param kernelHref the kernel inside the OVA
     * @param initrdHref the initial ramdisk inside the OVA, or null
     * @param append     the kernel command line, or null
     */
    public record Boot(String kernelHref, String initrdHref, String append) {
        public Boot {
            Objects.requireNonNull(kernelHref);
        }
    }

    /**
     * The saved state of a suspended VM (a vmm snapshot file): resuming it needs disks holding
     * exactly the contents it was saved with.
     *
     * @param href          the state file inside the OVA
     * @param diskContents  per disk, in the order of {@link #disks()}: the SHA-256 (hexadecimal) of
     *                      its contents as the guest sees them (the virtual disk's bytes)
     */
    public record SavedState(String href, List<String> diskContents) {
        public SavedState {
            Objects.requireNonNull(href);
            diskContents = List.copyOf(diskContents);
        }
    }

    public OvfDescriptor {
        Objects.requireNonNull(ovfVersion);
        Objects.requireNonNull(name);
        Objects.requireNonNull(osDescription);
        Objects.requireNonNull(network);
        files = List.copyOf(files);
        disks = List.copyOf(disks);
        if (!ovfVersion.equals("1.0") && !ovfVersion.equals("2.0")) {
            throw new IllegalArgumentException("OVF version " + ovfVersion + ": 1.0 or 2.0");
        }
    }

    /** The envelope namespace of {@link #ovfVersion}. */
    public String namespace() {
        return ovfVersion.equals("2.0") ? OVF2_NS : OVF_NS;
    }

    /** A builder starting from defaults: OVF 1.0, Linux 64-bit, 1 CPU, 512 MiB, network "NAT". */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Builds a descriptor; {@link #disk} is called once per disk in order. */
    public static final class Builder {
        private final String name;
        private String ovfVersion = "1.0";
        private int osId = OS_LINUX_64;
        private String osDescription = "Linux 64-bit";
        private int cpus = 1;
        private long memoryMiB = 512;
        private String network = "NAT";
        private final List<Disk> disks = new ArrayList<>();
        private final List<FileRef> extraFiles = new ArrayList<>();
        private Cdrom cdrom;
        private String kernel;
        private String initrd;
        private String append;
        private String stateHref;
        private List<String> diskContents;

        private Builder(String name) {
            this.name = Objects.requireNonNull(name);
        }

        public Builder ovfVersion(String v) {
            this.ovfVersion = v;
            return this;
        }

        public Builder os(int id, String description) {
            this.osId = id;
            this.osDescription = description;
            return this;
        }

        public Builder cpus(int n) {
            this.cpus = n;
            return this;
        }

        public Builder memoryMiB(long mib) {
            this.memoryMiB = mib;
            return this;
        }

        public Builder network(String n) {
            this.network = n;
            return this;
        }

        /** Adds disk number {@code n = count + 1} as {@code vmdisk<n>}. */
        public Builder disk(String href, long capacityBytes, long fileSize) {
            disks.add(new Disk("vmdisk" + (disks.size() + 1), href, capacityBytes, fileSize));
            return this;
        }

        /** A CD drive holding the image {@code href} of {@code size} bytes (null: empty). */
        public Builder cdrom(String href, long size) {
            this.cdrom = new Cdrom(href);
            if (href != null) {
                extraFiles.add(new FileRef(href, size));
            }
            return this;
        }

        /** Direct kernel boot with the files {@code kernel} and {@code initrd} (may be null). */
        public Builder boot(String kernelHref, long kernelSize, String initrdHref,
                            long initrdSize, String appendLine) {
            this.kernel = kernelHref;
            extraFiles.add(new FileRef(kernelHref, kernelSize));
            this.initrd = initrdHref;
            if (initrdHref != null) {
                extraFiles.add(new FileRef(initrdHref, initrdSize));
            }
            this.append = appendLine;
            return this;
        }

        /**
         * A saved state: the file {@code href} of {@code size} bytes, and per disk (in order) the
         * SHA-256 of the contents the state refers to.
         */
        public Builder savedState(String href, long size, List<String> diskSha256) {
            this.stateHref = href;
            this.diskContents = List.copyOf(diskSha256);
            extraFiles.add(new FileRef(href, size));
            return this;
        }

        public String name() {
            return name;
        }

        public OvfDescriptor build() {
            List<FileRef> files = new ArrayList<>();
            for (Disk d : disks) {
                files.add(new FileRef(d.href(), d.fileSize()));
            }
            files.addAll(extraFiles);
            return new OvfDescriptor(ovfVersion, name, osId, osDescription, cpus, memoryMiB,
                    network, files, disks, cdrom,
                    kernel == null ? null : new Boot(kernel, initrd, append),
                    stateHref == null ? null : new SavedState(stateHref, diskContents));
        }
    }

    /** The descriptor as OVF XML (UTF-8). */
    public byte[] toXml() throws IOException {
        return OvfWriter.write(this);
    }

    /**
     * Parses an OVF 1.x or 2.x descriptor. Refuses a document that does not parse, is not an OVF
     * {@code Envelope}, has no VirtualSystem, or references disks or files it does not list.
     */
    public static OvfDescriptor parse(byte[] xml) throws IOException {
        return OvfParser.parse(xml);
    }

    /** Bytes per unit of an OVF/CIM programmatic unit ("byte", "byte * 2^20", "MegaBytes"). */
    static long units(String unit, String what) throws IOException {
        return OvfParser.units(unit, what);
    }
}

package dev.vmm.devices.appliance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.BlockDevice;
import dev.vmm.devices.storage.QemuTools;
import dev.vmm.devices.storage.formats.DiskConverter;
import dev.vmm.devices.storage.formats.DiskFormat;
import dev.vmm.devices.storage.formats.DiskImages;
import dev.vmm.devices.storage.Progress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OVF 2.0, SHA-1 manifests, CD images and kernels carried in the OVA, disks of any format, and
 * the OVF 2.0 items other tools write.
 */
class OvfFeaturesTest {
    @TempDir
    Path dir;

    private static byte[] data(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = i % 4096 < 2048 ? 0 : (byte) (i * seed + (i >>> 9));
        }
        return b;
    }

    @Test
    void ovf2WithSha1CdromKernelAndAQcow2Disk() throws IOException {
        byte[] disk = data(2 << 20, 3);
        Path raw = dir.resolve("d.raw");
        Files.write(raw, disk);
        Path q = dir.resolve("d.qcow2");
        DiskConverter.convert(raw, q, DiskFormat.QCOW2, Progress.NONE);
        Path iso = dir.resolve("cd.iso");
        Files.write(iso, data(2048 * 10, 5));
        Path kernel = dir.resolve("bzImage");
        Files.write(kernel, "kernel bytes".getBytes(StandardCharsets.US_ASCII));
        Path initrd = dir.resolve("initrd");
        Files.write(initrd, "initrd bytes".getBytes(StandardCharsets.US_ASCII));

        OvfDescriptor.Builder b = OvfDescriptor.builder("box").ovfVersion("2.0").cpus(4)
                .memoryMiB(2048).cdrom("box-cdrom.iso", Files.size(iso))
                .boot("box-kernel", Files.size(kernel), "box-initrd", Files.size(initrd),
                        "console=ttyS0 root=/dev/sda");
        Path ova = dir.resolve("box.ova");
        List<long[]> progress = new ArrayList<>();
        try (BlockDevice d = DiskImages.openReadOnly(q)) {
            Ova.write(b, List.of(d), Map.of("box-cdrom.iso", iso, "box-kernel", kernel,
                    "box-initrd", initrd), ova, "sha1",
                    (done, total) -> progress.add(new long[] {done, total}));
        }
        assertEquals(disk.length, progress.get(progress.size() - 1)[0]);

        String tar = new String(Files.readAllBytes(ova), StandardCharsets.ISO_8859_1);
        assertTrue(tar.contains("xmlns=\"" + OvfDescriptor.OVF2_NS + "\""), "OVF 2.0 namespace");
        assertTrue(tar.contains("ovf:version=\"2.0\""));
        assertTrue(tar.contains("SHA1(box.ovf)= "), "SHA-1 manifest");
        assertTrue(tar.contains("<rasd:HostResource>ovf:/file/file2</rasd:HostResource>"),
                "the CD names its image");

        Ova.Imported imp = Ova.read(ova, dir.resolve("in"));
        OvfDescriptor d = imp.descriptor();
        assertEquals("2.0", d.ovfVersion());
        assertEquals(4, d.cpus());
        assertEquals(2048, d.memoryMiB());
        assertEquals("box-cdrom.iso", d.cdrom().href());
        assertEquals(new OvfDescriptor.Boot("box-kernel", "box-initrd",
                "console=ttyS0 root=/dev/sda"), d.boot());
        assertEquals(List.of("box-disk1.vmdk", "box-cdrom.iso", "box-kernel", "box-initrd"),
                d.files().stream().map(OvfDescriptor.FileRef::href).toList());
        assertArrayEquals(Files.readAllBytes(iso), Files.readAllBytes(imp.files()
                .get("box-cdrom.iso")));
        assertArrayEquals(Files.readAllBytes(kernel), Files.readAllBytes(imp.files()
                .get("box-kernel")));
        try (BlockDevice v = DiskImages.openReadOnly(imp.disks().get(0))) {
            byte[] back = new byte[disk.length];
            v.read(0, back);
            assertArrayEquals(disk, back);
        }
        assertEquals(d, OvfDescriptor.parse(d.toXml()));
        if (OvaTest.tool("xmllint", "--version")) {
            Path ovf = dir.resolve("box.ovf");
            Files.write(ovf, d.toXml());
            OvaTest.run("xmllint", "--noout", ovf.toString());
        }
        QemuTools.assumeInstalled();
        String check = QemuTools.run("qemu-img", "check", imp.disks().get(0).toString());
        assertTrue(check.contains("No errors"), check);
    }

    @Test
    void storageItemsOrderAndReferences() throws IOException {
        String ovf = """
                <?xml version="1.0"?>
                <Envelope ovf:version="2.0" xmlns="http://schemas.dmtf.org/ovf/envelope/2"
                    xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/2"
                    xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
                    xmlns:sasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_StorageAllocationSettingData.xsd"
                    xmlns:epasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_EthernetPortAllocationSettingData.xsd">
                  <References>
                    <File ovf:id="f1" ovf:href="a.vmdk"/>
                    <File ovf:id="f2" ovf:href="b.vmdk"/>
                  </References>
                  <DiskSection><Info>d</Info>
                    <Disk ovf:capacity="4" ovf:capacityAllocationUnits="byte * 2^20"
                          ovf:diskId="da" ovf:fileRef="f1"/>
                    <Disk ovf:capacity="1048576" ovf:diskId="db" ovf:fileRef="f2"/>
                  </DiskSection>
                  <VirtualSystem ovf:id="two">
                    <Info>x</Info>
                    <VirtualHardwareSection><Info>h</Info>
                      <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>20</rasd:ResourceType>
                        <rasd:Address>0</rasd:Address></Item>
                      <Item><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>5</rasd:ResourceType>
                        <rasd:Address>1</rasd:Address></Item>
                      <StorageItem><sasd:AddressOnParent>0</sasd:AddressOnParent>
                        <sasd:HostResource>ovf:/disk/da</sasd:HostResource>
                        <sasd:InstanceID>3</sasd:InstanceID><sasd:Parent>1</sasd:Parent>
                        <sasd:ResourceType>17</sasd:ResourceType></StorageItem>
                      <StorageItem><sasd:AddressOnParent>1</sasd:AddressOnParent>
                        <sasd:HostResource>ovf:/disk/db</sasd:HostResource>
                        <sasd:InstanceID>4</sasd:InstanceID><sasd:Parent>2</sasd:Parent>
                        <sasd:ResourceType>17</sasd:ResourceType></StorageItem>
                      <EthernetPortItem><epasd:Connection>bridged</epasd:Connection>
                        <epasd:InstanceID>5</epasd:InstanceID>
                        <epasd:ResourceType>10</epasd:ResourceType></EthernetPortItem>
                    </VirtualHardwareSection>
                  </VirtualSystem>
                </Envelope>
                """.strip();
        OvfDescriptor d = OvfDescriptor.parse(ovf.getBytes(StandardCharsets.UTF_8));
        assertEquals("2.0", d.ovfVersion());
        assertEquals("two", d.name());
        // the disk on the IDE controller comes first, then the one on the SATA controller
        assertEquals(List.of("db", "da"), d.disks().stream().map(OvfDescriptor.Disk::diskId)
                .toList());
        assertEquals(4L << 20, d.disks().get(1).capacityBytes());
        assertEquals(-1, d.disks().get(0).fileSize());
        assertEquals("bridged", d.network());
        assertNull(d.cdrom());
        assertNull(d.boot());

        String badDisk = ovf.replace("ovf:/disk/db", "ovf:/disk/nope");
        IOException e = assertThrows(IOException.class,
                () -> OvfDescriptor.parse(badDisk.getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("references disk nope which DiskSection does not"
                + " list"), e.getMessage());
        String badFile = ovf.replace("ovf:fileRef=\"f2\"", "ovf:fileRef=\"f9\"");
        e = assertThrows(IOException.class,
                () -> OvfDescriptor.parse(badFile.getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("references file f9 which References does not"
                + " list"), e.getMessage());
        String twice = ovf.replace("ovf:/disk/db", "ovf:/disk/da");
        e = assertThrows(IOException.class,
                () -> OvfDescriptor.parse(twice.getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("attached twice"), e.getMessage());
    }

    @Test
    void tooManyDisksAndUnknownManifestAlgorithmsAreRefused() throws IOException {
        OvfDescriptor.Builder b = OvfDescriptor.builder("x");
        for (int i = 0; i < 4; i++) {
            b.disk("x-disk" + i + ".vmdk", 512, 100);
        }
        IOException e = assertThrows(IOException.class, () -> b.build().toXml());
        assertTrue(e.getMessage().contains("at most 3"), e.getMessage());
        Path raw = dir.resolve("r.raw");
        Files.write(raw, new byte[512]);
        try (BlockDevice d = DiskImages.openReadOnly(raw)) {
            e = assertThrows(IOException.class, () -> Ova.write(OvfDescriptor.builder("y"),
                    List.of(d), Map.of(), dir.resolve("y.ova"), "md5", Progress.NONE));
            assertTrue(e.getMessage().contains("sha256 or sha1"), e.getMessage());
        }
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "nothing but the raw disk");
        }
    }
}

package dev.vmm.devices.appliance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vmm.devices.storage.vmdk.VmdkImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** OVA export and import: layout, the OVF, round trips, and refusals of bad archives. */
class OvaTest {
    private static final String OVF = OvfDescriptor.OVF_NS;
    private static final String RASD = OvfDescriptor.RASD_NS;

    @TempDir
    Path dir;

    private static byte[] disk(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            boolean zero = i >= 200_000 && i < 900_000;
            b[i] = zero ? 0 : (byte) (i * 13 + seed + (i >>> 11));
        }
        return b;
    }

    private byte[] disk1;
    private byte[] disk2;

    private Path export() throws IOException {
        disk1 = disk(2 * 1024 * 1024 + 512, 1);
        disk2 = disk(1024 * 1024, 2);
        Path r1 = dir.resolve("a.raw");
        Path r2 = dir.resolve("b.raw");
        Files.write(r1, disk1);
        Files.write(r2, disk2);
        Path ova = dir.resolve("web.ova");
        Ova.write(OvfDescriptor.builder("web").cpus(2).memoryMiB(768)
                .os(OvfDescriptor.OS_LINUX_64, "Debian 12 64-bit").network("bridged"),
                List.of(r1, r2), ova);
        return ova;
    }

    /** The entry names of a tar, by our reader's header parser. */
    private static List<String> names(byte[] tar) throws IOException {
        List<String> out = new ArrayList<>();
        int pos = 0;
        while (true) {
            byte[] h = java.util.Arrays.copyOfRange(tar, pos, pos + 512);
            Ustar.Header hd = Ustar.parse(h, pos, "t");
            if (hd == null) {
                return out;
            }
            out.add(hd.name());
            pos += 512 + (int) ((hd.size() + 511) / 512 * 512);
        }
    }

    @Test
    void roundTripGivesTheSameConfigAndBytes() throws IOException {
        Path ova = export();
        byte[] tar = Files.readAllBytes(ova);
        assertEquals(0, tar.length % 512);
        assertEquals(List.of("web.ovf", "web-disk1.vmdk", "web-disk2.vmdk", "web.mf"),
                names(tar));
        try (var s = Files.list(dir)) {
            assertEquals(3, s.count(), "no scratch or temporary file is left");
        }

        Path out = dir.resolve("imported");
        Ova.Imported imp = Ova.read(ova, out);
        OvfDescriptor d = imp.descriptor();
        assertEquals("web", d.name());
        assertEquals(2, d.cpus());
        assertEquals(768, d.memoryMiB());
        assertEquals(OvfDescriptor.OS_LINUX_64, d.osId());
        assertEquals("Debian 12 64-bit", d.osDescription());
        assertEquals("bridged", d.network());
        assertEquals(2, d.disks().size());
        assertEquals(disk1.length, d.disks().get(0).capacityBytes());
        assertEquals("web-disk2.vmdk", d.disks().get(1).href());
        assertEquals(List.of(out.resolve("web-disk1.vmdk"), out.resolve("web-disk2.vmdk")),
                imp.disks());
        try (VmdkImage a = VmdkImage.open(imp.disks().get(0));
             VmdkImage b = VmdkImage.open(imp.disks().get(1))) {
            byte[] back1 = new byte[disk1.length];
            a.read(0, back1);
            assertArrayEquals(disk1, back1);
            byte[] back2 = new byte[disk2.length];
            b.read(0, back2);
            assertArrayEquals(disk2, back2);
        }
        // the same descriptor, re-serialized, parses to an equal record
        assertEquals(d, OvfDescriptor.parse(d.toXml()));
    }

    @Test
    void ovfFollowsTheRules() throws Exception {
        Path ova = export();
        checkRules(ovfOf(Files.readAllBytes(ova)), 2);
    }

    private static byte[] ovfOf(byte[] tar) throws IOException {
        Ustar.Header h = Ustar.parse(java.util.Arrays.copyOf(tar, 512), 0, "t");
        return java.util.Arrays.copyOfRange(tar, 512, 512 + (int) h.size());
    }

    /**
     * A suspended VM's appliance (vmm:SavedStateSection, its state file in References and the
     * manifest) follows the same rules; the extension is marked ovf:required="false" in vmm's own
     * namespace, starts with its Info as every OVF section does, and references only files and
     * disks the envelope declares.
     */
    @Test
    void anOvfWithASavedStateFollowsTheRulesAndMarksItsExtensionOptional() throws Exception {
        disk1 = disk(2 * 1024 * 1024 + 512, 1);
        disk2 = disk(1024 * 1024, 2);
        Path r1 = Files.write(dir.resolve("a.raw"), disk1);
        Path r2 = Files.write(dir.resolve("b.raw"), disk2);
        Path state = Files.write(dir.resolve("s.vmmsnap"), "VMMSNAP\0 a saved state".getBytes(StandardCharsets.US_ASCII));
        List<String> digests = List.of("1".repeat(64), "2".repeat(64));
        Path ova = dir.resolve("web.ova");
        List<dev.vmm.devices.storage.BlockDevice> disks = List.of(
                dev.vmm.devices.storage.RawImage.open(r1, dev.vmm.devices.storage.RawImage.Mode.READ_ONLY),
                dev.vmm.devices.storage.RawImage.open(r2, dev.vmm.devices.storage.RawImage.Mode.READ_ONLY));
        try {
            Ova.write(OvfDescriptor.builder("web").cpus(2).memoryMiB(768)
                    .os(OvfDescriptor.OS_LINUX_64, "Debian 12 64-bit").network("bridged")
                    .savedState("web-state.vmmsnap", Files.size(state), digests),
                    disks, java.util.Map.of("web-state.vmmsnap", state), ova, "sha256",
                    dev.vmm.devices.storage.Progress.NONE);
        } finally {
            for (var d : disks) {
                d.close();
            }
        }
        byte[] tar = Files.readAllBytes(ova);
        assertEquals(List.of("web.ovf", "web-disk1.vmdk", "web-disk2.vmdk", "web-state.vmmsnap", "web.mf"),
                names(tar));
        byte[] ovf = ovfOf(tar);
        Document doc = checkRules(ovf, 3);

        Element file3 = (Element) doc.getElementsByTagNameNS(OVF, "File").item(2);
        assertEquals("web-state.vmmsnap", file3.getAttributeNS(OVF, "href"));
        assertEquals(Long.toString(Files.size(state)), file3.getAttributeNS(OVF, "size"));
        NodeList sections = doc.getElementsByTagNameNS(OvfDescriptor.VMM_NS, "SavedStateSection");
        assertEquals(1, sections.getLength());
        Element sec = (Element) sections.item(0);
        assertEquals("urn:vmm:ovf:1", sec.getNamespaceURI());
        assertEquals("VirtualSystem", sec.getParentNode().getLocalName());
        assertEquals("false", sec.getAttributeNS(OVF, "required"), "other hypervisors may skip it");
        Element info = firstElement(sec);
        assertEquals(OVF, info.getNamespaceURI());
        assertEquals("Info", info.getLocalName());
        Element st = (Element) sec.getElementsByTagNameNS(OvfDescriptor.VMM_NS, "State").item(0);
        assertEquals("file3", st.getAttributeNS(OVF, "fileRef"));
        NodeList d = sec.getElementsByTagNameNS(OvfDescriptor.VMM_NS, "Disk");
        assertEquals(2, d.getLength());
        for (int i = 0; i < 2; i++) {
            Element e = (Element) d.item(i);
            assertEquals("vmdisk" + (i + 1), e.getAttributeNS(OVF, "diskId"));
            assertEquals(digests.get(i), e.getAttributeNS(OvfDescriptor.VMM_NS, "contentSha256"));
        }
        String mf = new String(entry(tar, "web.mf"), StandardCharsets.US_ASCII);
        assertTrue(mf.contains("SHA256(web-state.vmmsnap)= "), mf);

        Ova.Imported imp = Ova.read(ova, dir.resolve("in"));
        assertEquals(new OvfDescriptor.SavedState("web-state.vmmsnap", digests), imp.descriptor().state());
        assertArrayEquals(Files.readAllBytes(state), Files.readAllBytes(imp.files().get("web-state.vmmsnap")));
        assertEquals(imp.descriptor(), OvfDescriptor.parse(imp.descriptor().toXml()));
    }

    private static Element firstElement(Element parent) {
        for (org.w3c.dom.Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) {
                return e;
            }
        }
        throw new AssertionError("no child element in " + parent.getTagName());
    }

    /** The data of entry {@code name} of a tar. */
    private static byte[] entry(byte[] tar, String name) throws IOException {
        int pos = 0;
        while (true) {
            Ustar.Header hd = Ustar.parse(java.util.Arrays.copyOfRange(tar, pos, pos + 512), pos, "t");
            if (hd == null) {
                throw new AssertionError(name + " not in the archive");
            }
            if (hd.name().equals(name)) {
                return java.util.Arrays.copyOfRange(tar, pos + 512, pos + 512 + (int) hd.size());
            }
            pos += 512 + (int) ((hd.size() + 511) / 512 * 512);
        }
    }

    /** Checks the OVF rules of the appliance of {@link #export()} (whose References have {@code fileCount} files). */
    private Document checkRules(byte[] ovf, int fileCount) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document doc = f.newDocumentBuilder().parse(new ByteArrayInputStream(ovf));
        Element env = doc.getDocumentElement();
        assertEquals("Envelope", env.getLocalName());
        assertEquals(OVF, env.getNamespaceURI());

        NodeList files = doc.getElementsByTagNameNS(OVF, "File");
        assertEquals(fileCount, files.getLength());
        Element file1 = (Element) files.item(0);
        assertEquals("web-disk1.vmdk", file1.getAttributeNS(OVF, "href"));
        assertEquals("file1", file1.getAttributeNS(OVF, "id"));
        assertTrue(Long.parseLong(file1.getAttributeNS(OVF, "size")) > 0);

        Element disk = (Element) doc.getElementsByTagNameNS(OVF, "Disk").item(0);
        assertEquals("vmdisk1", disk.getAttributeNS(OVF, "diskId"));
        assertEquals("file1", disk.getAttributeNS(OVF, "fileRef"));
        assertEquals(Integer.toString(disk1.length), disk.getAttributeNS(OVF, "capacity"));
        assertEquals("http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized",
                disk.getAttributeNS(OVF, "format"));
        assertNotNull(doc.getElementsByTagNameNS(OVF, "NetworkSection").item(0));
        Element os = (Element) doc.getElementsByTagNameNS(OVF, "OperatingSystemSection")
                .item(0);
        assertEquals("101", os.getAttributeNS(OVF, "id"));
        assertEquals("vmx-07", doc.getElementsByTagNameNS(OvfDescriptor.VSSD_NS,
                "VirtualSystemType").item(0).getTextContent());

        NodeList items = doc.getElementsByTagNameNS(OVF, "Item");
        java.util.Map<String, String> ideAddress = new java.util.HashMap<>();
        List<String> diskSlots = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        for (int i = 0; i < items.getLength(); i++) {
            Element it = (Element) items.item(i);
            int type = Integer.parseInt(rasd(it, "ResourceType"));
            types.add(type);
            switch (type) {
                case 3 -> assertEquals("2", rasd(it, "VirtualQuantity"));
                case 4 -> {
                    assertEquals("768", rasd(it, "VirtualQuantity"));
                    assertEquals("byte * 2^20", rasd(it, "AllocationUnits"));
                }
                case 5 -> {
                    assertEquals("PIIX4", rasd(it, "ResourceSubType"));
                    ideAddress.put(rasd(it, "InstanceID"), rasd(it, "Address"));
                }
                case 10 -> {
                    assertEquals("E1000", rasd(it, "ResourceSubType"));
                    assertEquals("bridged", rasd(it, "Connection"));
                }
                case 17 -> {
                    assertTrue(rasd(it, "HostResource").startsWith("ovf:/disk/vmdisk"));
                    assertNotNull(rasd(it, "AddressOnParent"));
                    diskSlots.add(ideAddress.get(rasd(it, "Parent")) + ":"
                            + rasd(it, "AddressOnParent"));
                }
                default -> throw new AssertionError("unexpected ResourceType " + type);
            }
        }
        assertEquals(List.of(3, 4, 5, 5, 10, 17, 17), types);
        // primary master and primary slave (the secondary master is the CD's place)
        assertEquals(List.of("0:0", "0:1"), diskSlots);

        if (tool("xmllint", "--version")) {
            Path ovfFile = dir.resolve("check.ovf");
            Files.write(ovfFile, ovf);
            run("xmllint", "--noout", ovfFile.toString());
        }
        return doc;
    }

    private static String rasd(Element item, String local) {
        NodeList l = item.getElementsByTagNameNS(RASD, local);
        return l.getLength() == 0 ? null : l.item(0).getTextContent();
    }

    @Test
    void qemuImgReadsTheExtractedDisk() throws IOException {
        Assumptions.assumeTrue(tool("qemu-img", "--version"),
                "qemu-img (Debian package qemu-utils) not installed");
        Path ova = export();
        Ova.Imported imp = Ova.read(ova, dir.resolve("x"));
        Path vmdk = imp.disks().get(0);
        String info = run("qemu-img", "info", "--output=json", vmdk.toString())
                .replaceAll("\\s", "");
        assertTrue(info.contains("\"format\":\"vmdk\""), info);
        assertTrue(info.contains("\"create-type\":\"streamOptimized\""), info);
        assertTrue(info.contains("\"virtual-size\":" + disk1.length + ","), info);
        run("qemu-img", "check", vmdk.toString());
        Path raw = dir.resolve("x.raw");
        run("qemu-img", "convert", "-f", "vmdk", "-O", "raw", vmdk.toString(), raw.toString());
        assertArrayEquals(disk1, Files.readAllBytes(raw));
        // GNU tar agrees on the layout
        if (tool("tar", "--version")) {
            assertEquals("web.ovf\nweb-disk1.vmdk\nweb-disk2.vmdk\nweb.mf\n",
                    run("tar", "-tf", ova.toString()));
        }
    }

    private static int indexOf(byte[] hay, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= hay.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (hay[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private IOException refused(byte[] tar) throws IOException {
        Path bad = dir.resolve("bad.ova");
        Files.write(bad, tar);
        Path out = dir.resolve("out-bad");
        IOException e = assertThrows(IOException.class, () -> Ova.read(bad, out));
        if (Files.exists(out)) {
            try (var s = Files.list(out)) {
                assertEquals(0, s.count(), "nothing is left behind after: " + e.getMessage());
            }
        }
        return e;
    }

    /** Offset of the header of the entry {@code name}. */
    private static int headerOf(byte[] tar, String name) throws IOException {
        int pos = 0;
        while (true) {
            Ustar.Header hd = Ustar.parse(java.util.Arrays.copyOfRange(tar, pos, pos + 512),
                    pos, "t");
            if (hd == null) {
                throw new AssertionError(name + " not found");
            }
            if (hd.name().equals(name)) {
                return pos;
            }
            pos += 512 + (int) ((hd.size() + 511) / 512 * 512);
        }
    }

    private static void rechecksum(byte[] tar, int header) {
        byte[] h = java.util.Arrays.copyOfRange(tar, header, header + 512);
        String sum = String.format("%06o", Ustar.checksum(h));
        System.arraycopy(sum.getBytes(StandardCharsets.US_ASCII), 0, tar, header + 148, 6);
        tar[header + 154] = 0;
        tar[header + 155] = ' ';
    }

    @Test
    void aFlippedByteInADiskIsRefusedByTheDigest() throws IOException {
        byte[] tar = Files.readAllBytes(export());
        int h = headerOf(tar, "web-disk2.vmdk");
        tar[h + 512 + 3000] ^= 0x40;
        IOException e = refused(tar);
        assertTrue(e.getMessage().contains("digest mismatch for web-disk2.vmdk"),
                e.getMessage());
    }

    @Test
    void aFileMissingFromTheManifestIsRefused() throws IOException {
        byte[] tar = Files.readAllBytes(export());
        int mf = headerOf(tar, "web.mf");
        int at = indexOf(tar, "SHA256(web-disk1.vmdk)");
        assertTrue(at > mf);
        // rename the manifest line's file so disk1 is no longer listed
        tar[at + 7] = 'X';
        IOException e = refused(tar);
        assertTrue(e.getMessage().contains("web-disk1.vmdk has no entry in the manifest"),
                e.getMessage());
    }

    @Test
    void truncatedArchivesAreRefused() throws IOException {
        byte[] tar = Files.readAllBytes(export());
        for (int len : new int[] {tar.length - 1024, tar.length / 2, 700, 100}) {
            IOException e = refused(java.util.Arrays.copyOf(tar, len));
            assertTrue(e.getMessage().contains("truncated"), len + ": " + e.getMessage());
        }
    }

    @Test
    void unsafeEntriesAndMissingPiecesAreRefused() throws IOException {
        byte[] good = Files.readAllBytes(export());

        byte[] tar = good.clone();
        int h = headerOf(tar, "web-disk1.vmdk");
        byte[] evil = "../evil.vmdk\0\0".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(evil, 0, tar, h, evil.length);
        rechecksum(tar, h);
        assertTrue(refused(tar).getMessage().contains("unsafe entry name ../evil.vmdk"));

        tar = good.clone();
        tar[h + 156] = '2';
        rechecksum(tar, h);
        assertTrue(refused(tar).getMessage().contains("symbolic link"));

        tar = good.clone();
        tar[h + 10] ^= 1;
        assertTrue(refused(tar).getMessage().contains("checksum mismatch"));

        // no manifest: cut the archive before the .mf and end it properly
        int mf = headerOf(good, "web.mf");
        tar = java.util.Arrays.copyOf(java.util.Arrays.copyOf(good, mf), mf + 1024);
        assertTrue(refused(tar).getMessage().contains("no manifest"));

        // the .ovf not first: start the archive at the first disk
        tar = java.util.Arrays.copyOfRange(good, h, good.length);
        assertTrue(refused(tar).getMessage().contains("not the .ovf descriptor"));
    }

    @Test
    void foreignUnitsAreUnderstoodAndBadXmlIsRefused() throws IOException {
        assertEquals(1L << 30, OvfDescriptor.units("byte * 2^30", "x"));
        assertEquals(1L << 20, OvfDescriptor.units("MegaBytes", "x"));
        assertEquals(1, OvfDescriptor.units(null, "x"));
        assertThrows(IOException.class, () -> OvfDescriptor.units("parsecs", "x"));
        assertThrows(IOException.class, () -> OvfDescriptor.parse("<not-xml".getBytes(
                StandardCharsets.UTF_8)));
    }

    /** The entries of a tar, in order, by name. */
    private static java.util.LinkedHashMap<String, byte[]> entries(byte[] tar) throws IOException {
        java.util.LinkedHashMap<String, byte[]> out = new java.util.LinkedHashMap<>();
        int pos = 0;
        while (true) {
            Ustar.Header hd = Ustar.parse(java.util.Arrays.copyOfRange(tar, pos, pos + 512),
                    pos, "t");
            if (hd == null) {
                return out;
            }
            out.put(hd.name(), java.util.Arrays.copyOfRange(tar, pos + 512,
                    pos + 512 + (int) hd.size()));
            pos += 512 + (int) ((hd.size() + 511) / 512 * 512);
        }
    }

    /** A tar of the entries, with the manifest recomputed with {@code alg} (SHA256 or SHA1). */
    private static byte[] rebuild(java.util.LinkedHashMap<String, byte[]> files, String alg)
            throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        StringBuilder mf = new StringBuilder();
        for (var e : files.entrySet()) {
            if (e.getKey().endsWith(".mf")) {
                continue;
            }
            out.write(Ustar.header(e.getKey(), e.getValue().length, 0));
            out.write(e.getValue());
            Ustar.pad(out, e.getValue().length);
            byte[] d = java.security.MessageDigest.getInstance(
                    alg.equals("SHA1") ? "SHA-1" : "SHA-256").digest(e.getValue());
            mf.append(alg).append('(').append(e.getKey()).append(")= ")
                    .append(java.util.HexFormat.of().formatHex(d)).append('\n');
        }
        byte[] m = mf.toString().getBytes(StandardCharsets.US_ASCII);
        out.write(Ustar.header("web.mf", m.length, 0));
        out.write(m);
        Ustar.pad(out, m.length);
        Ustar.end(out);
        return out.toByteArray();
    }

    @Test
    void sha1ManifestsAreAcceptedAndDescriptorLiesRefused() throws Exception {
        var files = entries(Files.readAllBytes(export()));
        Path ova = dir.resolve("sha1.ova");
        Files.write(ova, rebuild(files, "SHA1"));
        assertEquals(768, Ova.read(ova, dir.resolve("sha1")).descriptor().memoryMiB());

        String ovf = new String(files.get("web.ovf"), StandardCharsets.UTF_8);

        // a disk larger than its declared capacity
        var small = new java.util.LinkedHashMap<>(files);
        small.put("web.ovf", ovf.replace("ovf:capacity=\"" + disk1.length + "\"",
                "ovf:capacity=\"1048576\"").getBytes(StandardCharsets.UTF_8));
        IOException e = refused(rebuild(small, "SHA256"));
        assertTrue(e.getMessage().contains("more than its declared capacity"), e.getMessage());

        // the OVF references a file missing from the archive
        var missing = new java.util.LinkedHashMap<>(files);
        missing.remove("web-disk2.vmdk");
        e = refused(rebuild(missing, "SHA256"));
        assertTrue(e.getMessage().contains("references web-disk2.vmdk which is not in the"
                + " archive"), e.getMessage());

        // an OVF that does not parse
        var broken = new java.util.LinkedHashMap<>(files);
        broken.put("web.ovf", "<Envelope".getBytes(StandardCharsets.UTF_8));
        e = refused(rebuild(broken, "SHA256"));
        assertTrue(e.getMessage().contains("does not parse"), e.getMessage());
    }

    // ---- external tools

    static boolean tool(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static String run(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + ": timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + out);
        return out;
    }
}

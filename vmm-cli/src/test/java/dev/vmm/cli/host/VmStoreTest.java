package dev.vmm.cli.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one store of VM definitions: format 2, format-1 files still read, newer formats refused. */
class VmStoreTest {
    @TempDir
    Path dir;

    private VmStore store;

    @BeforeEach
    void store() {
        store = new VmStore(new VmmPaths(dir, dir.resolve("vmm.sock")));
    }

    /** A definition as the format-1 {@code vmm create} wrote it (one disk, no cpus). */
    @Test
    void readsFormat1Files() throws IOException {
        Files.createDirectories(dir.resolve("vms"));
        Files.writeString(dir.resolve("vms/old.json"), """
                {
                  "format" : 1,
                  "name" : "old",
                  "memoryBytes" : 25165824,
                  "disk" : "/images/old.img",
                  "diskMode" : "rw"
                }""");
        Files.writeString(dir.resolve("vms/k.json"), """
                {"format":1,"name":"k","memoryBytes":16777216,"diskMode":"cow","kernel":"/b/bzImage",\
                "initrd":"/b/initrd","append":"console=ttyS0"}""");
        VmDefinition old = store.load("old");
        assertEquals(VmDefinition.builder("old", 24L << 20).disk(Path.of("/images/old.img")).diskMode("rw").build(),
                old);
        assertEquals(1, old.cpus());
        VmDefinition k = store.load("k");
        assertEquals(List.of(), k.disks());
        assertEquals("/b/bzImage", k.kernel());
        assertEquals("/b/initrd", k.initrd());
        assertEquals("console=ttyS0", k.append());
        assertEquals(List.of("k", "old"), store.list().stream().map(VmDefinition::name).toList());
    }

    @Test
    void refusesANewerFormatWithAMessage() throws IOException {
        Files.createDirectories(dir.resolve("vms"));
        Files.writeString(dir.resolve("vms/new.json"), "{\"format\":3,\"name\":\"new\",\"memoryBytes\":16777216,"
                + "\"cpus\":1,\"disks\":[],\"kernel\":\"/k\",\"hotplug\":true}");
        IOException e = assertThrows(IOException.class, () -> store.load("new"));
        assertEquals(dir.resolve("vms/new.json") + ": not a valid VM definition: format 3 was written by a newer vmm "
                + "(this one reads formats 1 to 2)", e.getMessage());
        Files.writeString(dir.resolve("vms/none.json"), "{\"name\":\"none\"}");
        e = assertThrows(IOException.class, () -> store.load("none"));
        assertTrue(e.getMessage().endsWith("not a valid VM definition: no format number"), e.getMessage());
        Files.writeString(dir.resolve("vms/arr.json"), "[1]");
        e = assertThrows(IOException.class, () -> store.load("arr"));
        assertTrue(e.getMessage().endsWith("not a JSON object"), e.getMessage());
    }

    @Test
    void writesFormat2AndReadsItBack() throws IOException {
        VmDefinition d = VmDefinition.builder("web", 256L << 20).cpus(2).disk(dir.resolve("a.img"))
                .disk(dir.resolve("b.qcow2")).cdrom(dir.resolve("c.iso")).boot("dc").build();
        store.create(d);
        String json = Files.readString(dir.resolve("vms/web.json"));
        assertTrue(json.contains("\"format\" : 2"), json);
        assertTrue(json.contains("\"disks\" : [ \"" + dir.resolve("a.img") + "\", \"" + dir.resolve("b.qcow2")
                + "\" ]"), json);
        assertFalse(json.contains("null"), json);
        assertEquals(d, store.load("web"));
        assertEquals(256, d.memoryMiB());
        IOException e = assertThrows(IOException.class, () -> store.create(d));
        assertEquals("a VM named web exists already (vmm delete web first)", e.getMessage());
    }

    @Test
    void deleteRemovesTheVmsOwnFilesButNotTheUsersImages() throws IOException {
        Path mine = Files.writeString(dir.resolve("mine.img"), "x");
        store.create(VmDefinition.builder("a", 16L << 20).disk(mine).build());
        Path files = Files.createDirectories(store.filesDirectory("a"));
        Files.writeString(files.resolve("a-disk1.qcow2"), "imported");
        assertTrue(store.delete("a"));
        assertFalse(Files.exists(files));
        assertTrue(Files.exists(mine));
        assertFalse(store.delete("a"));
        assertTrue(store.find("a").isEmpty());
        assertTrue(store.find("../a").isEmpty(), "an invalid name has no definition");
    }

    @Test
    void refusesDefinitionsThatCannotBoot() {
        assertEquals("nothing to boot: give --disk IMG, --cdrom ISO, --kernel FILE or --bios FILE",
                assertThrows(IllegalArgumentException.class,
                        () -> VmDefinition.builder("x", 16L << 20).build()).getMessage());
        assertEquals("--bios and --kernel exclude each other", assertThrows(IllegalArgumentException.class,
                () -> VmDefinition.builder("x", 16L << 20).bios(Path.of("/b")).kernel(Path.of("/k"), null, null)
                        .build()).getMessage());
        assertEquals("4 disks: at most 3 (the IDE positions beside the CD)",
                assertThrows(IllegalArgumentException.class, () -> VmDefinition.builder("x", 16L << 20)
                        .disk(Path.of("/1")).disk(Path.of("/2")).disk(Path.of("/3")).disk(Path.of("/4")).build())
                        .getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> VmDefinition.builder("x", 16L << 20).disk(Path.of("/1")).boot("q").build());
    }
}

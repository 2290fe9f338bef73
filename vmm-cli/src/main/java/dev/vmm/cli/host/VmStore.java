package dev.vmm.cli.host;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The VM definitions in {@code $VMM_HOME/vms}, one JSON file each ({@code NAME.json}), and the
 * files vmm made for a VM (the disks, CD image and kernel of an imported appliance) in its
 * directory {@code NAME/} beside it. Definitions are written to a temporary file, forced to disk
 * and renamed, so one is never half written. Format-1 files (one {@code disk}, no {@code cpus})
 * are read as format {@value VmDefinition#FORMAT}; a newer format is refused with a message.
 */
public final class VmStore {
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private final Path dir;

    public VmStore(VmmPaths paths) {
        this.dir = paths.vms();
    }

    private Path file(String name) {
        VmDefinition.checkName(name);
        return dir.resolve(name + ".json");
    }

    /**
     * The directory of the files vmm keeps for the VM {@code name} (an imported appliance's disks);
     * {@link #delete} removes it with the definition.
     */
    public Path filesDirectory(String name) {
        VmDefinition.checkName(name);
        return dir.resolve(name);
    }

    public boolean exists(String name) {
        return Files.exists(file(name));
    }

    /** Stores a new definition; refuses to overwrite one. */
    public void create(VmDefinition def) throws IOException {
        Files.createDirectories(dir);
        Path target = file(def.name());
        if (Files.exists(target)) {
            throw new IOException("a VM named " + def.name() + " exists already (vmm delete " + def.name() + " first)");
        }
        write(def, target);
    }

    /** Replaces the stored definition of {@code def}'s VM (which must exist). */
    public void replace(VmDefinition def) throws IOException {
        Path target = file(def.name());
        if (!Files.exists(target)) {
            throw new java.io.FileNotFoundException("no VM named " + def.name());
        }
        write(def, target);
    }

    private void write(VmDefinition def, Path target) throws IOException {
        Path tmp = Files.createTempFile(dir, "." + def.name(), ".tmp");
        try {
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(def)));
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Where the saved state of the suspended VM {@code name} is kept: {@code NAME/state.vmmsnap} in
     * its files directory (a snapshot file; the deltas of its copy-on-write disks beside it as
     * {@code state.vmmsnap.ide<c>-<u>.qcow2}). Its presence makes the VM suspended.
     */
    public Path statePath(String name) {
        return filesDirectory(name).resolve(STATE_FILE);
    }

    /** The name of a suspended VM's state in its files directory. */
    public static final String STATE_FILE = "state.vmmsnap";

    /** The VMs with a saved state, by name (read from the files directories; no definition is parsed). */
    public List<String> suspendedNames() throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, Files::isDirectory)) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                if (suspended(n) && exists(n)) {
                    out.add(n);
                }
            }
        }
        out.sort(null);
        return out;
    }

    /** Whether {@code name} has a saved state (is suspended). */
    public boolean suspended(String name) {
        return VmDefinition.validName(name) && Files.isRegularFile(statePath(name));
    }

    /** The definition of {@code name}; a {@link java.io.FileNotFoundException} if there is none. */
    public VmDefinition load(String name) throws IOException {
        return find(name).orElseThrow(() -> new java.io.FileNotFoundException("no VM named " + name
                + " (vmm create " + name + " --memory 256M --disk IMG defines one)"));
    }

    /** The definition of {@code name}, if there is one (an invalid name has none). */
    public Optional<VmDefinition> find(String name) throws IOException {
        if (!VmDefinition.validName(name)) {
            return Optional.empty();
        }
        Path f = file(name);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(bytes));
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(f + ": not a valid VM definition: " + firstLine(e.getMessage()), e);
        }
    }

    /** A definition file's content, of any format this vmm reads. */
    static VmDefinition parse(byte[] json) throws IOException {
        JsonNode tree = JSON.readTree(json);
        if (!(tree instanceof ObjectNode o)) {
            throw new IOException("not a JSON object");
        }
        JsonNode f = o.get("format");
        if (f == null || !f.canConvertToExactIntegral()) {
            throw new IOException("no format number");
        }
        int format = f.asInt();
        if (format > VmDefinition.FORMAT) {
            throw new IOException("format " + format + " was written by a newer vmm (this one reads formats 1 to "
                    + VmDefinition.FORMAT + ")");
        }
        if (format == 1) {
            JsonNode disk = o.remove("disk");
            ArrayNode disks = o.putArray("disks");
            if (disk != null && !disk.isNull()) {
                disks.add(disk);
            }
            o.put("cpus", 1);
            o.put("format", VmDefinition.FORMAT);
        } else if (format != VmDefinition.FORMAT) {
            throw new IOException("format " + format + " is not known (this vmm reads formats 1 to "
                    + VmDefinition.FORMAT + ")");
        }
        return JSON.treeToValue(o, VmDefinition.class);
    }

    /** All definitions, by name; unreadable files are reported as IOExceptions. */
    public List<VmDefinition> list() throws IOException {
        List<VmDefinition> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.json")) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                n = n.substring(0, n.length() - ".json".length());
                if (VmDefinition.validName(n)) {
                    names.add(n);
                }
            }
        }
        names.sort(null);
        for (String n : names) {
            find(n).ifPresent(out::add);
        }
        return out;
    }

    /**
     * Removes a definition and the files vmm made for it ({@link #filesDirectory}); images the
     * user named stay. False if there was no definition.
     */
    public boolean delete(String name) throws IOException {
        boolean had = Files.deleteIfExists(file(name));
        deleteTree(filesDirectory(name));
        return had;
    }

    /** Removes {@code dir} and everything in it, if it exists. */
    public static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}

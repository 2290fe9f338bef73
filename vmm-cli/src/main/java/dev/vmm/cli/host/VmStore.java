package dev.vmm.cli.host;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The VM definitions in {@code $VMM_HOME/vms}, one JSON file each. Written to a temporary file,
 * forced to disk and renamed, so a definition is never half written.
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
        Path tmp = Files.createTempFile(dir, "." + def.name(), ".tmp");
        try {
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(def)));
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The definition of {@code name}. */
    public VmDefinition load(String name) throws IOException {
        Path f = file(name);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            throw new java.io.FileNotFoundException("no VM named " + name + " (vmm create " + name
                    + " --memory 256M --disk IMG defines one)");
        }
        try {
            return JSON.readValue(bytes, VmDefinition.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(f + ": not a valid VM definition: " + firstLine(e.getMessage()), e);
        }
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
                names.add(n.substring(0, n.length() - ".json".length()));
            }
        }
        names.sort(null);
        for (String n : names) {
            out.add(load(n));
        }
        return out;
    }

    /** Removes a definition; false if there was none. */
    public boolean delete(String name) throws IOException {
        return Files.deleteIfExists(file(name));
    }

    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}

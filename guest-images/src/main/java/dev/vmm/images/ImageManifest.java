package dev.vmm.images;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The manifest that a recipe writes last into an image's directory ({@code NAME/manifest}, Java properties syntax):
 * the Debian packages and versions, the SHA256 of every input and output, the recipe's own SHA256, the build date
 * and how to boot the image ({@code boot.kernel}, {@code boot.initrd}, {@code boot.disk}, {@code boot.append}).
 *
 * @param dir    the image's directory
 * @param fields every key and value, sorted by key
 */
public record ImageManifest(Path dir, Map<String, String> fields) {

    /** The file name of the manifest in an image's directory. */
    public static final String FILE = "manifest";

    public ImageManifest {
        fields = Collections.unmodifiableMap(new TreeMap<>(fields));
    }

    /** Reads {@code dir/manifest}; empty when there is none. */
    public static Optional<ImageManifest> read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (String k : p.stringPropertyNames()) {
            m.put(k, p.getProperty(k));
        }
        return Optional.of(new ImageManifest(dir, m));
    }

    /** A value, or empty. */
    public Optional<String> get(String key) {
        return Optional.ofNullable(fields.get(key));
    }

    /** A value that must be there. */
    public String require(String key) {
        String v = fields.get(key);
        if (v == null) {
            throw new IllegalStateException(dir.resolve(FILE) + " has no " + key);
        }
        return v;
    }

    public String name() {
        return get("name").orElse(dir.getFileName().toString());
    }

    /** The kernel's release as {@code uname -r} prints it, e.g. {@code 6.1.0-50-686}. */
    public Optional<String> kernelVersion() {
        return get("kernel.version");
    }

    /** The Debian version of the kernel package, e.g. {@code 6.1.176-1} (in {@code uname -v}). */
    public Optional<String> kernelPackageVersion() {
        return get("kernel.package.version");
    }

    public Optional<String> built() {
        return get("built");
    }

    /** The output files (relative names) and their SHA256, from the {@code output.FILE.sha256} keys. */
    public Map<String, String> outputs() {
        Map<String, String> out = new TreeMap<>();
        fields.forEach((k, v) -> {
            if (k.startsWith("output.") && k.endsWith(".sha256")) {
                out.put(k.substring("output.".length(), k.length() - ".sha256".length()), v);
            }
        });
        return out;
    }

    /** The path of a file of the image named by a manifest key (e.g. {@code boot.kernel}), or empty. */
    public Optional<Path> file(String key) {
        return get(key).map(dir::resolve);
    }

    /** The recorded total size of the outputs in bytes. */
    public long size() {
        long total = 0;
        for (String f : outputs().keySet()) {
            total += Long.parseLong(get("output." + f + ".size").orElse("0"));
        }
        return total;
    }
}

package dev.vmm.cli.appliance;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * A {@link VmStore} in a directory: {@code <home>/vms/<name>/vm.properties} holds the definition
 * (keys {@code name}, {@code memoryMiB}, {@code cpus}, {@code disk.1}.., {@code cdrom},
 * {@code kernel}, {@code initrd}, {@code append}; absolute paths), the VM's files sit beside it.
 * {@code <home>} is {@code $VMM_HOME}, by default {@code ~/.local/share/vmm}.
 */
public final class FileVmStore implements VmStore {
    private static final String FILE = "vm.properties";
    private final Path vms;

    public FileVmStore(Path home) {
        this.vms = home.toAbsolutePath().resolve("vms");
    }

    /** The store in {@code $VMM_HOME}, or {@code ~/.local/share/vmm}. */
    public static FileVmStore fromEnvironment() {
        String env = System.getenv("VMM_HOME");
        Path home = env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".local", "share", "vmm");
        return new FileVmStore(home);
    }

    @Override
    public Path filesDirectory(String name) {
        return vms.resolve(name);
    }

    @Override
    public Optional<VmDefinition> find(String name) throws IOException {
        if (!VmDefinition.NAME.matcher(name).matches()) {
            return Optional.empty();
        }
        Path f = vms.resolve(name).resolve(FILE);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            p.load(in);
        }
        try {
            List<Path> disks = new ArrayList<>();
            for (int i = 1; p.getProperty("disk." + i) != null; i++) {
                disks.add(Path.of(p.getProperty("disk." + i)));
            }
            return Optional.of(new VmDefinition(p.getProperty("name", name),
                    Long.parseLong(p.getProperty("memoryMiB", "0")),
                    Integer.parseInt(p.getProperty("cpus", "1")), disks,
                    path(p, "cdrom"), path(p, "kernel"), path(p, "initrd"),
                    p.getProperty("append")));
        } catch (IllegalArgumentException e) {
            throw new IOException("VM definition " + f + ": " + e.getMessage(), e);
        }
    }

    private static Path path(Properties p, String key) {
        String v = p.getProperty(key);
        return v == null ? null : Path.of(v);
    }

    @Override
    public void create(VmDefinition vm) throws IOException {
        Path dir = vms.resolve(vm.name());
        Path f = dir.resolve(FILE);
        if (Files.exists(f)) {
            throw new IOException("a VM named " + vm.name() + " already exists");
        }
        Properties p = new Properties();
        p.setProperty("name", vm.name());
        p.setProperty("memoryMiB", Long.toString(vm.memoryMiB()));
        p.setProperty("cpus", Integer.toString(vm.cpus()));
        for (int i = 0; i < vm.disks().size(); i++) {
            p.setProperty("disk." + (i + 1), vm.disks().get(i).toAbsolutePath().toString());
        }
        put(p, "cdrom", vm.cdrom());
        put(p, "kernel", vm.kernel());
        put(p, "initrd", vm.initrd());
        if (vm.append() != null) {
            p.setProperty("append", vm.append());
        }
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + FILE + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            p.store(out, "vmm VM definition");
        }
        try {
            Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, f);
        }
    }

    private static void put(Properties p, String key, Path v) {
        if (v != null) {
            p.setProperty(key, v.toAbsolutePath().toString());
        }
    }
}

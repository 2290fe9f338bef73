package dev.vmm.cli;

import dev.vmm.devices.storage.formats.DiskConverter;
import dev.vmm.devices.storage.formats.DiskFormat;
import dev.vmm.devices.storage.formats.DiskImages;
import dev.vmm.devices.storage.formats.DiskInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vmm disk}: inspects and converts disk images (raw, qcow2, streamOptimized VMDK). */
@Command(
        name = "disk",
        mixinStandardHelpOptions = true,
        description = "Inspects and converts disk images (raw, qcow2, streamOptimized VMDK).",
        subcommands = {DiskCommand.Info.class, DiskCommand.Convert.class})
public final class DiskCommand implements Callable<Integer> {
    /** The operation failed or the input was refused; the message says why. */
    static final int EXIT_FAILED = 1;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return spec.exitCodeOnInvalidInput();
    }

    /** {@code vmm disk info FILE}. */
    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Shows an image's format, virtual size, allocated size and backing"
                    + " chain.")
    static final class Info implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "The disk image.")
        private Path file;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try {
                DiskInfo i = DiskImages.info(file);
                print(out, i);
                return 0;
            } catch (IOException e) {
                spec.commandLine().getErr().println("vmm disk info: " + e.getMessage());
                return EXIT_FAILED;
            }
        }

        static void print(PrintWriter out, DiskInfo i) {
            out.println("image:          " + i.path());
            out.println("format:         " + i.format().label()
                    + (i.details().isEmpty() ? "" : " (" + i.details() + ")"));
            out.println("virtual size:   " + size(i.virtualSize()));
            out.println("file size:      " + size(i.fileSize()));
            out.println("allocated:      " + size(i.allocatedBytes())
                    + (i.format() == DiskFormat.QCOW2 ? " of guest data in this file" : ""));
            if (i.backing() != null) {
                out.println("backing file:   " + i.backingName());
                out.println("backing chain:");
                int depth = 1;
                for (DiskInfo b = i.backing(); b != null; b = b.backing()) {
                    out.println("  " + depth++ + ". " + b.path() + " (" + b.format().label()
                            + ", " + size(b.virtualSize()) + ")");
                }
            }
            out.flush();
        }
    }

    /** {@code vmm disk convert [-O FORMAT] SRC DST}. */
    @Command(name = "convert", mixinStandardHelpOptions = true,
            description = {"Converts SRC (any format, read through its backing chain) to DST.",
                "The output format is -O, or DST's extension (.qcow2, .vmdk), or raw.",
                "DST is written to a temporary file and renamed: it is never left half"
                        + " written."})
    static final class Convert implements Callable<Integer> {
        @Spec
        private CommandSpec spec;

        @Option(names = "-O", paramLabel = "raw|qcow2|vmdk",
                description = "Output format (vmdk is streamOptimized).")
        private String format;

        @Parameters(index = "0", paramLabel = "SRC", description = "The image to read.")
        private Path src;

        @Parameters(index = "1", paramLabel = "DST", description = "The image to write.")
        private Path dst;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            try {
                DiskFormat to = format != null ? DiskFormat.parse(format)
                        : java.util.Objects.requireNonNullElse(DiskFormat.fromExtension(dst),
                        DiskFormat.RAW);
                try (ProgressBar bar = ProgressBar.onTerminal(err, "converting")) {
                    DiskConverter.convert(src, dst, to, bar);
                }
                spec.commandLine().getOut().println(src + " -> " + dst + " ("
                        + to.label() + ")");
                return 0;
            } catch (IOException e) {
                err.println("vmm disk convert: " + e.getMessage());
                return EXIT_FAILED;
            }
        }
    }

    /** "3 MiB (3145728 bytes)". */
    static String size(long bytes) {
        String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        if (u == 0) {
            return bytes + " bytes";
        }
        String num = v == Math.floor(v) ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, "%.1f", v);
        return num + " " + units[u] + " (" + bytes + " bytes)";
    }
}

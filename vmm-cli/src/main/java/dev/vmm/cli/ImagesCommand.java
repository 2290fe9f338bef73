package dev.vmm.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import dev.vmm.images.GuestImages;
import dev.vmm.images.ImageManifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vmm images}: the guest images built from Debian packages ({@code build}, {@code list}).
 * The recipes and the cache rules are in the guest-images module ({@link GuestImages}).
 */
@Command(
        name = "images",
        mixinStandardHelpOptions = true,
        description = {"Builds and lists the guest images (Debian bookworm i386, built from Debian packages).",
                "Cache: $VMM_IMAGES_DIR, else $XDG_CACHE_HOME/vmm/images, else ~/.cache/vmm/images."},
        sortOptions = false)
public final class ImagesCommand {

    static final int EXIT_BUILD_FAILED = 1;
    static final int EXIT_BAD_INPUT = 2;

    @Spec
    private CommandSpec spec;

    private GuestImages images() {
        return GuestImages.fromEnvironment();
    }

    @Command(name = "build", mixinStandardHelpOptions = true,
            description = {"Builds the images (default: all) unless they are up to date.",
                    "Downloads the Debian packages once (about 52 MB), checks them against the signed archive index."})
    int build(@Option(names = "--force", description = "Rebuild even when up to date.") boolean force,
              @Parameters(paramLabel = "NAME", arity = "0..*", description = "tiny-i386, disk-i386") List<String> names) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<String> todo = names == null || names.isEmpty() ? GuestImages.RECIPES : names;
        for (String n : todo) {
            if (!GuestImages.RECIPES.contains(n)) {
                err.println("vmm images build: unknown image '" + n + "': the images are "
                        + String.join(", ", GuestImages.RECIPES));
                return EXIT_BAD_INPUT;
            }
        }
        try {
            int code = images().build(todo, force, line -> { out.println(line); out.flush(); },
                    line -> { err.println(line); err.flush(); });
            if (code != 0) {
                err.println("vmm images build: the recipe failed (status " + code + ")");
                return EXIT_BUILD_FAILED;
            }
            return 0;
        } catch (java.io.IOException e) {
            err.println("vmm images build: " + e.getMessage());
            return EXIT_BUILD_FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("vmm images build: interrupted");
            return EXIT_BUILD_FAILED;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Lists the images: name, status, size, kernel, build date and directory.")
    int list() {
        PrintWriter out = spec.commandLine().getOut();
        GuestImages images = images();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"NAME", "STATUS", "SIZE", "KERNEL", "BUILT", "PATH"});
        for (String name : GuestImages.RECIPES) {
            GuestImages.Status status = images.status(name);
            Optional<ImageManifest> m = images.manifest(name);
            rows.add(new String[] {
                name,
                status.label(),
                m.map(x -> size(x.size())).orElse("-"),
                m.flatMap(ImageManifest::kernelVersion).orElse("-"),
                m.flatMap(ImageManifest::built).orElse("-"),
                images.imageDir(name).toString()});
        }
        int[] width = new int[rows.getFirst().length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(i == r.length - 1 ? r[i] : String.format(Locale.ROOT, "%-" + width[i] + "s  ", r[i]));
            }
            out.println(line);
        }
        out.flush();
        return 0;
    }

    static String size(long bytes) {
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }
}

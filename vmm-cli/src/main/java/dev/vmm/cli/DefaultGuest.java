package dev.vmm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import dev.vmm.images.GuestImages;
import dev.vmm.images.ImageManifest;

/**
 * What {@code vmm run} boots without a disk or kernel: the {@link GuestImages#DEFAULT_IMAGE} image (Debian's i386
 * kernel and a busybox initramfs with a shell on COM1), built from Debian packages on first use.
 */
final class DefaultGuest {

    /** How to boot it: {@code --kernel}, {@code --initrd}, {@code --append}. */
    record Boot(Path kernel, Path initrd, String append) {
    }

    /** The default guest cannot be had (the build failed and there is no older image to boot). */
    static final class Unavailable extends Exception {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message);
        }
    }

    private DefaultGuest() {
    }

    /** Builds the default image when it is missing or out of date, and says how to boot it. */
    static Boot prepare(GuestImages images, PrintWriter err) throws Unavailable {
        String name = GuestImages.DEFAULT_IMAGE;
        GuestImages.Status status = images.status(name);
        if (status != GuestImages.Status.OK) {
            err.println("vmm: the default guest " + name + " is " + status.label() + " in " + images.dir()
                    + "; building it from Debian packages (the first time downloads about 52 MB)...");
            err.flush();
            int code;
            try {
                code = images.build(List.of(name), false, line -> print(err, line), line -> print(err, line));
            } catch (IOException e) {
                code = -1;
                err.println("vmm: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Unavailable("interrupted while building the default guest " + name);
            }
            if (code != 0) {
                Optional<ImageManifest> old = images.manifest(name).filter(m -> bootable(m));
                if (old.isEmpty()) {
                    throw new Unavailable("cannot build the default guest " + name + " (see above); give --disk FILE "
                            + "or --kernel FILE, or run vmm images build " + name);
                }
                err.println("vmm: could not rebuild " + name + "; booting the image built "
                        + old.get().built().orElse("earlier"));
            }
        }
        ImageManifest m = images.manifest(name).filter(DefaultGuest::bootable).orElseThrow(
                () -> new Unavailable("the default guest " + name + " in " + images.imageDir(name)
                        + " has no kernel or initrd after the build"));
        return new Boot(m.file("boot.kernel").orElseThrow(), m.file("boot.initrd").orElseThrow(),
                m.get("boot.append").orElse("console=ttyS0"));
    }

    private static void print(PrintWriter err, String line) {
        err.println(line);
        err.flush();
    }

    private static boolean bootable(ImageManifest m) {
        return m.file("boot.kernel").filter(Files::isRegularFile).isPresent()
                && m.file("boot.initrd").filter(Files::isRegularFile).isPresent();
    }
}

package dev.vmm.devices.storage.formats;

import java.nio.file.Path;

/**
 * What {@code vmm disk info} shows about an image.
 *
 * @param path           the file
 * @param format         its format
 * @param virtualSize    the guest-visible size in bytes
 * @param fileSize       the size of the file
 * @param allocatedBytes guest data held by the file itself (qcow2: its data clusters; raw and
 *                       VMDK: the file size)
 * @param details        format details (qcow2 version and cluster size, VMDK create type)
 * @param backingName    the backing file name as written in the image, or null
 * @param backing        the backing image's information, or null
 */
public record DiskInfo(Path path, DiskFormat format, long virtualSize, long fileSize,
                       long allocatedBytes, String details, String backingName,
                       DiskInfo backing) {
}

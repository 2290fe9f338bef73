package dev.vmm.devices.serial;

/** A port with nothing attached: output is discarded, no input ever arrives. */
public final class NullBackend implements SerialBackend {
    @Override
    public void write(int b) {
    }

    @Override
    public void close() {
    }
}

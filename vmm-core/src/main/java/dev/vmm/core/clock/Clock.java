package dev.vmm.core.clock;

/** The machine's notion of time, in nanoseconds since power-on. */
public interface Clock {
    long nanos();
}

package dev.vmm.core.cpu;

/**
 * A guest exception raised while executing an instruction (#GP, #PF, #UD, ...). One preallocated,
 * stackless instance per CPU is reused: raising a guest fault costs no allocation and never
 * captures a host stack trace. Never escapes the CPU.
 */
public final class CpuFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The exception vector (0..31). */
    int vector;
    /** The error code, or -1 for exceptions without one. */
    int errorCode;

    CpuFault() {
        super(null, null, false, false);
    }

    CpuFault set(int vector, int errorCode) {
        this.vector = vector;
        this.errorCode = errorCode;
        return this;
    }

    public int vector() {
        return vector;
    }

    public int errorCode() {
        return errorCode;
    }

    @Override
    public String getMessage() {
        return errorCode < 0 ? Exceptions.name(vector) : Exceptions.name(vector) + "(" + Integer.toHexString(errorCode) + ")";
    }
}

package dev.vmm.cli.console;

/**
 * QEMU's escape keys on a serial console, as a pure state machine over the keystroke bytes.
 *
 * <p>Ctrl-A starts an escape; the next byte selects: {@code x} quit, {@code c} monitor,
 * {@code d} detach (a console attached to a host's VM), {@code b} send a break (Linux: magic
 * SysRq), {@code h} or {@code ?} help, Ctrl-A a literal Ctrl-A for the guest. Any other byte
 * after Ctrl-A is swallowed, as in QEMU. Every other byte goes to the guest, in order: guest bytes
 * before an escape are handed over before its action runs. An escape may span two calls of {@link #feed}.
 */
public final class EscapeFilter {
    /** Ctrl-A. */
    public static final int ESCAPE = 0x01;

    /** Where the filtered bytes and the escape commands go. */
    public interface Target {
        /** Bytes for the guest. */
        void toGuest(byte[] data, int off, int len);

        void quit();

        void monitor();

        void help();

        void sendBreak();

        /** Ctrl-A d: leave a console attached to a host's VM, which goes on running. */
        default void detach() {
        }
    }

    /** The help text of Ctrl-A h, with CR LF line ends (the terminal is raw). */
    public static final String HELP = """
            C-a h    print this help\r
            C-a x    exit the emulator\r
            C-a b    send break (magic sysrq)\r
            C-a c    switch to the monitor\r
            C-a C-a  send C-a to the guest\r
            """;

    private final Target target;
    private boolean escaped;

    public EscapeFilter(Target target) {
        this.target = target;
    }

    /** True after a Ctrl-A whose command byte has not come yet. */
    public boolean escapePending() {
        return escaped;
    }

    /** Filters {@code len} keystroke bytes of {@code data} from {@code off}. */
    public void feed(byte[] data, int off, int len) {
        int run = off;                          // start of the pending run of guest bytes
        for (int i = off; i < off + len; i++) {
            int b = data[i] & 0xFF;
            if (!escaped) {
                if (b == ESCAPE) {
                    flush(data, run, i);
                    escaped = true;
                    run = i + 1;
                }
                continue;
            }
            escaped = false;
            run = i + 1;
            switch (b) {
                case ESCAPE -> run = i;         // the second Ctrl-A is a guest byte
                case 'x', 'X' -> target.quit();
                case 'c', 'C' -> target.monitor();
                case 'b', 'B' -> target.sendBreak();
                case 'd', 'D' -> target.detach();
                case 'h', 'H', '?' -> target.help();
                default -> { }                  // unknown command: swallowed
            }
        }
        flush(data, run, off + len);
    }

    private void flush(byte[] data, int from, int to) {
        if (to > from) {
            target.toGuest(data, from, to - from);
        }
    }
}

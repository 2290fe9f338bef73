package dev.vmm.cli.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Ctrl-A escape state machine, keystroke by keystroke and in chunks. */
class EscapeFilterTest {
    private final List<String> events = new ArrayList<>();
    private final EscapeFilter filter = new EscapeFilter(new EscapeFilter.Target() {
        @Override
        public void toGuest(byte[] data, int off, int len) {
            StringBuilder sb = new StringBuilder("guest:");
            for (int i = off; i < off + len; i++) {
                int b = data[i] & 0xFF;
                sb.append(b < 0x20 ? "^" + (char) (b + '@') : String.valueOf((char) b));
            }
            events.add(sb.toString());
        }

        @Override
        public void quit() {
            events.add("quit");
        }

        @Override
        public void monitor() {
            events.add("monitor");
        }

        @Override
        public void help() {
            events.add("help");
        }

        @Override
        public void sendBreak() {
            events.add("break");
        }
    });

    private void feed(String keys) {
        byte[] b = new byte[keys.length()];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) keys.charAt(i);
        }
        filter.feed(b, 0, b.length);
    }

    @Test
    void plainKeystrokesPassThroughInOneRun() {
        feed("root\r\u0003\u001b[A");
        assertEquals(List.of("guest:root^M^C^[[A"), events);
    }

    @Test
    void commandsInOrderWithTheGuestBytesAroundThem() {
        feed("ab\u0001bcd\u0001\u0001\u0001hz\u0001x");
        assertEquals(List.of("guest:ab", "break", "guest:cd", "guest:^A", "help", "guest:z",
                "quit"), events);
        assertFalse(filter.escapePending());
    }

    @Test
    void escapeSpansCalls() {
        feed("ls\u0001");
        assertTrue(filter.escapePending());
        assertEquals(List.of("guest:ls"), events);
        feed("c");
        feed("\u0001");
        feed("\u0001");
        feed("\u0001?");
        assertEquals(List.of("guest:ls", "monitor", "guest:^A", "help"), events);
    }

    @Test
    void unknownCommandsAreSwallowed() {
        feed("\u0001q\u0001s\u0001tok\u0001X");
        assertEquals(List.of("guest:ok", "quit"), events);
    }

    @Test
    void oneByteAtATime() {
        for (char c : "a\u0001\u0001b\u0001xc".toCharArray()) {
            feed(String.valueOf(c));
        }
        assertEquals(List.of("guest:a", "guest:^A", "guest:b", "quit", "guest:c"), events);
    }

    @Test
    void helpNamesEveryCommand() {
        for (String k : List.of("C-a h", "C-a x", "C-a b", "C-a c", "C-a C-a")) {
            assertTrue(EscapeFilter.HELP.contains(k), k);
        }
        assertTrue(EscapeFilter.HELP.endsWith("\r\n"));
    }
}

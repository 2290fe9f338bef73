package dev.vmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

class DisasmCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cmd = Main.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    private List<String> lines() {
        return out.toString().lines().toList();
    }

    @Test
    void realModeBootSectorSnippet() {
        int code = run("disasm", "--mode", "16", "--ip", "0x7c00", "b8 00 13 cd 10 eb fe", "26 8a 07", "e2fa");
        assertEquals(0, code, err::toString);
        assertEquals(List.of(
                "7c00  b8 00 13              mov ax, 0x1300",
                "7c03  cd 10                 int 0x10",
                "7c05  eb fe                 jmp 0x7c05",
                "7c07  26 8a 07              mov al, byte ptr es:[bx]",
                "7c0a  e2 fa                 loop 0x7c06"), lines());
        assertEquals("", err.toString());
    }

    @Test
    void protectedModeDefaultsAndBadBytes() {
        int code = run("disasm", "55 89e5 8b4508 f3a5 f00fb10a ea7856341208 00 c3 ffff");
        assertEquals(0, code, err::toString);
        assertEquals(List.of(
                "00000000  55                    push ebp",
                "00000001  89 e5                 mov ebp, esp",
                "00000003  8b 45 08              mov eax, dword ptr [ebp+8]",
                "00000006  f3 a5                 rep movsd",
                "00000008  f0 0f b1 0a           lock cmpxchg dword ptr [edx], ecx",
                "0000000c  ea 78 56 34 12 08 00  jmp far 0x8:0x12345678",
                "00000013  c3                    ret",
                "00000014  ff                    (bad)",
                "00000015  ff                    (bad)"), lines());
    }

    @Test
    void branchTargetsUseTheAddressAndOperandSize() {
        // call rel32 from 0x1000; a 66-prefixed jmp rel16 in 32-bit mode wraps to 16 bits; lock on a register is bad.
        int code = run("disasm", "--ip", "4096", "e8 fb ff ff ff 66 e9 00 80 f0 01 c8");
        assertEquals(0, code, err::toString);
        assertEquals(List.of(
                "00001000  e8 fb ff ff ff        call 0x1000",
                "00001005  66 e9 00 80           jmp 0x9009",
                "00001009  f0                    (bad)",
                "0000100a  01 c8                 add eax, ecx"), lines());
    }

    @Test
    void rejectsBadModeAndBadHex() {
        assertEquals(2, run("disasm", "--mode", "64", "90"));
        assertTrue(err.toString().contains("--mode must be 16 or 32"), err::toString);
        assertEquals(2, run("disasm", "9g"));
        assertTrue(err.toString().contains("HEXBYTES must be pairs of hex digits"), err::toString);
        assertEquals(2, run("disasm", "909"));
        assertEquals("", out.toString());
    }

    @Test
    void listedInTheMainHelp() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("disasm"), out::toString);
    }
}

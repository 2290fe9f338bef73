package dev.vmm.cli;

import java.io.PrintWriter;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import dev.vmm.core.cpu.CodeSource;
import dev.vmm.core.cpu.Decoder;
import dev.vmm.core.cpu.Disassembler;
import dev.vmm.core.cpu.Insn;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code vmm disasm [--mode 16|32] [--ip ADDR] HEXBYTES...}: decodes machine code given as hex bytes with the CPU
 * core's decoder and prints one line per instruction: address, bytes, Intel-syntax disassembly. Bytes that do not
 * start a valid instruction print {@code (bad)} and the decoder moves on by one byte.
 */
@Command(
        name = "disasm",
        mixinStandardHelpOptions = true,
        description = {"Disassembles x86 machine code given as hex bytes (Intel syntax).",
                "Example: vmm disasm --mode 16 --ip 0x7c00 \"b8 00 13 cd 10 eb fe\""},
        sortOptions = false)
public final class DisasmCommand implements Callable<Integer> {

    /** Width of the bytes column: seven bytes ("xx " x 7 minus the last space). */
    private static final int BYTES_COLUMN = 20;

    @Spec
    private CommandSpec spec;

    @Option(names = "--mode", paramLabel = "16|32", defaultValue = "32",
            description = "Code segment size in bits (default: ${DEFAULT-VALUE}).")
    private int mode;

    @Option(names = "--ip", paramLabel = "ADDR", defaultValue = "0", converter = AddressConverter.class,
            description = "Address of the first byte: 0x-prefixed hex or decimal (default: 0).")
    private long ip;

    @Parameters(arity = "1..*", paramLabel = "HEXBYTES",
            description = "The code as hex digits; spaces between bytes are allowed (quote them or pass several "
                    + "arguments).")
    private List<String> hex;

    @Override
    public Integer call() {
        if (mode != 16 && mode != 32) {
            throw new ParameterException(spec.commandLine(), "--mode must be 16 or 32, not " + mode);
        }
        byte[] code = parseHex(String.join("", hex));
        PrintWriter out = spec.commandLine().getOut();
        for (String line : disassemble(code, mode, ip)) {
            out.println(line);
        }
        out.flush();
        return 0;
    }

    private byte[] parseHex(String text) {
        String digits = text.replaceAll("\\s+", "");
        if (digits.isEmpty() || (digits.length() & 1) != 0 || !digits.matches("[0-9a-fA-F]+")) {
            throw new ParameterException(spec.commandLine(),
                    "HEXBYTES must be pairs of hex digits, optionally separated by spaces: '" + text + "'");
        }
        return HexFormat.of().parseHex(digits);
    }

    /**
     * Disassembles {@code code} located at {@code ip} in a {@code mode}-bit code segment: one line per instruction,
     * {@code address  bytes  text}, addresses with 4 (16-bit mode) or 8 hex digits, wrapping at the segment size.
     */
    static List<String> disassemble(byte[] code, int mode, long ip) {
        int addrSize = mode == 16 ? 2 : 4;
        long addrMask = mode == 16 ? 0xFFFFL : 0xFFFF_FFFFL;
        String addrFormat = "%0" + addrSize * 2 + "x";
        List<String> lines = new java.util.ArrayList<>();
        int off = 0;
        while (off < code.length) {
            long at = (ip + off) & addrMask;
            Insn i = Decoder.decode(CodeSource.of(code, off), mode);
            int len = i.entry == null ? 1 : i.len;
            String text = i.entry == null ? "(bad)" : Disassembler.format(i, at);
            String bytes = HexFormat.ofDelimiter(" ").formatHex(code, off, off + len);
            lines.add(String.format(Locale.ROOT, addrFormat + "  %-" + BYTES_COLUMN + "s  %s", at, bytes, text));
            off += len;
        }
        return lines;
    }

    /** Parses {@code 0x}-prefixed hex or decimal addresses. */
    static final class AddressConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            String v = value.strip();
            if (v.startsWith("0x") || v.startsWith("0X")) {
                return Long.parseUnsignedLong(v.substring(2), 16);
            }
            return Long.parseLong(v);
        }
    }
}

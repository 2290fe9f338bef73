package dev.vmm.core.cpu.iced;

import dev.vmm.core.cpu.OpcodeEntry;
import dev.vmm.core.cpu.OpcodeTable;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Decides which iced decoder-test lines the decoder oracle covers: the "implemented subset", the general-purpose
 * integer and system instructions of a P6 that {@link OpcodeTable} describes (one-byte map and 0F map).
 *
 * <p>A line is <b>in scope</b> when it passes {@link IcedCase#inImplementedSubset()} (default decoder options, no
 * VEX/EVEX/XOP/MVEX/3DNow! code) and either
 * <ol>
 *   <li>iced decodes it (not {@code INVALID}), its {@code Code} is not in one of the excluded {@link #FAMILIES}, and
 *       its iced {@code Mnemonic} is the mnemonic of a row of our table ({@link #icedMnemonic(OpcodeEntry)} gives
 *       the iced spelling of each row: {@code Add_rm16_r16} is our {@code ADD Ev,Gv} at operand size 2,
 *       {@code Call_m1632} our {@code CALLF Mp}, {@code Xlat_m8} our {@code XLAT}); or</li>
 *   <li>iced rejects it ({@code INVALID}) and our table has at least one row for its opcode (map + opcode byte after
 *       the legacy prefixes), or the bytes end before the opcode: then we must reject it too, for the same reason
 *       (truncated, too long, LOCK misuse, invalid form).</li>
 * </ol>
 * Every other line is <b>excluded</b> and attributed to exactly one {@link Family} with its reason; the test logs the
 * count per family, and a line no family explains is attributed to {@link #UNCLASSIFIED} (the test requires none).
 *
 * <p>Decision for the excluded system opcodes inside our maps (the 0F 01 register forms VMCALL, MONITOR/MWAIT,
 * CLAC/STAC, XGETBV/XSETBV, SWAPGS, RDTSCP, ...; XABORT C6 F8; XBEGIN C7 F8; RDRAND/RDSEED 0F C7 /6-/7 ...): a P6
 * raises #UD for them, and so does our decoder (no row matches); the test checks that it rejects every excluded
 * instruction except those a P6 runs as a legacy instruction with an ignored F3 prefix (TZCNT, LZCNT, WBNOINVD).
 */
final class IcedScope {

    /** An excluded instruction family: iced {@code Code} names matching {@code codes}. */
    record Family(String name, String reason, Pattern codes) {
        boolean matches(String code) {
            return code != null && codes.matcher(code).find();
        }
    }

    static final Family DECOPT = new Family("decopt", "valid only with a non-default iced decoder option "
            + "(NoInvalidCheck, AMD, Cyrix, MPX, ForceReservedNop, ...): not the default Intel decoding", null);
    static final Family VEX = new Family("VEX/EVEX/XOP/MVEX", "AVX-era encodings (issue 4 and later); in 16/32-bit "
            + "mode their C4/C5/62/8F bytes are LES/LDS/BOUND/POP with mod=3, which a P6 rejects", null);
    static final Family D3NOW = fam("3DNow!", "AMD 3DNow! (0F 0F, FEMMS 0F 0E): not on a P6", "^(Femms$|D3NOW_)");
    static final Family OUTSIDE = new Family("INVALID outside our table", "iced rejects the bytes and no row of our "
            + "table claims the opcode (x87 escapes, 0F 38/0F 3A maps, SIMD and newer opcodes): nothing of ours to "
            + "compare", null);
    static final Family UNCLASSIFIED = new Family("unclassified", "valid in iced, mnemonic not in our table, and "
            + "no documented family: must stay empty", null);

    /** SIMD extensions after SSE2, on XMM and MMX registers (we report SSE and SSE2 in CPUID, not SSE3). */
    static final Family POST_SSE2 = fam("SIMD beyond SSE2", "SSE3, SSSE3, SSE4.1/4.2, SSE4A, AES, SHA, GFNI, PCLMUL: "
            + "not on our CPU (CPUID reports SSE and SSE2 only)",
            "^(Addsub|Aes|Blend|Dpp|Extractps|Extrq|Gf2p8|Hadd|Hsub|Insertps|Insertq|Lddqu|Movddup|Movntdqa|Movnts[sd]_|"
                    + "Movs[hl]dup|Mpsadbw|Pabs|Packusdw|Palignr|Pblend|Pclmul|Pcmp(eq|gt)q|Pcmp[ei]str|Pextr[bd]_|"
                    + "Pextrw_r32m16|Phadd|Phsub|Phminpos|Pinsr[bd]_|Pmaddubsw|Pm(ax|in)(sb|sd|ud|uw)_|Pmov[sz]x|Pmuldq|"
                    + "Pmulhrsw|Pmulld|Pshufb|Psign|Ptest|Round|Sha)");

    static final List<Family> FAMILIES = List.of(D3NOW, POST_SSE2,
            fam("prefetch 0F 0D", "AMD PREFETCH/PREFETCHW (3DNow!, later Broadwell): not on a P6",
                    "^Prefetch(_m8|w_m8|wt1_m8|reserved\\d_m8)$"),
            fam("prefetch 0F 18 /6 /7", "PREFETCHIT0/IT1 (2023+): hint-NOP space beside SSE PREFETCHh, no row in our table",
                    "^Prefetch(it0|it1)_m8$"),
            fam("hint-NOP 0F 19-0F 1E", "reserved-NOP space (iced Reservednop): hint space, no row in our table; "
                    + "0F 1F NOP Ev is in scope", "^Reservednop"),
            fam("cache (post-SSE2)", "CLFLUSHOPT/CLWB/CLDEMOTE: 2015+", "^(Clflushopt|Clwb|Cldemote)"),
            fam("CET", "control-flow enforcement (ENDBR, shadow stack): 2020+",
                    "^(Endbr|Rdssp|Incssp|Setssbsy|Saveprevssp|Rstorssp|Wrss|Wruss|Clrssbsy)"),
            fam("newer GPR extensions", "POPCNT/LZCNT/TZCNT/MOVBE/CRC32/ADX/RDRAND/RDSEED/RDPID/MOVDIR*/ENQCMD/RAO-INT/"
                    + "SERIALIZE/HRESET/PTWRITE/WBNOINVD/INVPCID: post-P6",
                    "^(Popcnt|Lzcnt|Tzcnt|Movbe|Crc32|Adcx|Adox|Rdrand|Rdseed|Rdpid|Movdiri|Movdir64b|Enqcmds?_|"
                            + "Aadd_|Aand_|Aor_|Axor_|Serialize|Hreset|Ptwrite|Wbnoinvd|Invpcid)"),
            fam("SYSCALL/RDTSCP/newer system", "SYSCALL/SYSRET (AMD K6/64-bit), RDTSCP, RDPRU, WRMSRNS, GETSEC: not P6",
                    "^(Syscall|Sysret|Rdtscp|Rdpru|Wrmsrns|Getsec|Rdmsrlist|Wrmsrlist|Uiret|Testui|Clui|Stui|"
                            + "Senduipi)"),
            fam("VMX", "Intel virtualization: not emulated",
                    "^(Vmcall|Vmlaunch|Vmresume|Vmxoff|Vmread|Vmwrite|Vmptrld|Vmptrst|Vmclear|Vmxon|Vmfunc|Invept|"
                            + "Invvpid)"),
            fam("SVM/SEV/AMD system", "AMD virtualization and AMD-only system instructions: not emulated",
                    "^(Vmrun|Vmmcall|Vmload|Vmsave|Stgi|Clgi|Skinit|Invlpga|Vmgexit|Pvalidate|Rmpadjust|Rmpupdate|"
                            + "Psmash|Rmpquery|Invlpgb|Tlbsync|Mcommit|Clzero|Monitorx|Mwaitx)"),
            fam("SGX/TDX/PCONFIG", "enclave and trust-domain instructions: not emulated",
                    "^(Encls|Enclu|Enclv|Pconfig|Tdcall|Seamcall|Seamret|Seamops)"),
            fam("MONITOR/MWAIT/WAITPKG", "SSE3-era and later wait instructions (0F 01 C8/C9, ...): not on a P6",
                    "^(Monitor[wdq]$|Mwait$|Umonitor|Umwait|Tpause)"),
            fam("SMAP/PKU", "CLAC/STAC (0F 01 CA/CB), RDPKRU/WRPKRU: 2014+", "^(Clac|Stac|Rdpkru|Wrpkru)$"),
            fam("XSAVE", "XSAVE family and XGETBV/XSETBV (0F 01 D0/D1): post-P6", "^(Xsave|Xrstor|Xgetbv|Xsetbv)"),
            fam("TSX", "XBEGIN/XABORT (C7 F8 / C6 F8), XEND/XTEST: 2013+",
                    "^(Xbegin|Xabort|Xend|Xtest|Xsusldtrk|Xresldtrk)"),
            fam("Key Locker", "AES Key Locker: 2020+", "^(Aes(enc|dec)(wide)?(128|256)kl|Encodekey|Loadiwkey)"),
            fam("other vendors", "VIA PadLock, Cyrix and other vendor-specific opcodes",
                    "^(Xstore|Xcrypt|Xsha|Montmul|Ccs_|Via_undoc|Xbts|Ibts|Umov|Loadall|Smint|Rdshr|Wrshr|Svdc|Rsdc|"
                            + "Svldt|Rsldt|Svts|Rsts|Bb0_reset|Bb1_reset|Cpu_write|Cpu_read|Altinst|Dmint|Rdm$|Jmpe)"));

    /** Our mnemonics where iced spells them differently (far CALL/JMP are plain Call/Jmp in iced). */
    private static final Map<String, String> ALIAS = Map.of("CALLF", "call", "JMPF", "jmp", "XLAT", "xlatb");

    private static final Set<String> OUR_MNEMONICS = ourMnemonics();

    private IcedScope() {
    }

    private static Family fam(String name, String reason, String regex) {
        return new Family(name, reason, Pattern.compile(regex));
    }

    private static Set<String> ourMnemonics() {
        Set<String> s = new HashSet<>();
        for (OpcodeEntry e : OpcodeTable.entries()) {
            s.add(icedMnemonic(e));
        }
        return Set.copyOf(s);
    }

    /** The iced {@code Mnemonic} (lower case) of one of our rows. */
    static String icedMnemonic(OpcodeEntry e) {
        String a = ALIAS.get(e.mnemonic());
        return a != null ? a : e.mnemonic().toLowerCase(Locale.ROOT);
    }

    /** Whether an iced mnemonic is one of our table's. */
    static boolean ours(String icedMnemonic) {
        return OUR_MNEMONICS.contains(icedMnemonic.toLowerCase(Locale.ROOT));
    }

    /** The family that excludes {@code c}, or {@code null} if the line is in scope. */
    static Family exclusion(IcedCase c) {
        if (c.decopt() != null) {
            return DECOPT;
        }
        if (!c.inImplementedSubset()) {
            String k = c.invalid() ? c.originalCode() : c.code();
            return D3NOW.matches(k) ? D3NOW : VEX;
        }
        if (c.invalid()) {
            int[] op = opcode(c.bytes());
            if (op == null || hasRow(op[0], op[1])) {
                return null;
            }
            Family f = family(c.originalCode());
            return f != null ? f : OUTSIDE;
        }
        Family f = family(c.code());
        if (f != null) {
            return f;
        }
        return ours(c.mnemonic()) ? null : UNCLASSIFIED;
    }

    private static Family family(String code) {
        for (Family f : FAMILIES) {
            if (f.matches(code)) {
                return f;
            }
        }
        return null;
    }

    /** Whether some row of our table has this map (0 one-byte, 1 = 0F, 2 = 0F 38, 3 = 0F 3A) and opcode. */
    static boolean hasRow(int map, int opcode) {
        for (OpcodeEntry e : OpcodeTable.entries()) {
            if (e.map() == map && e.opcode() == opcode) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code b} is a legacy prefix byte (segment, 66, 67, F0, F2, F3). */
    static boolean isPrefix(int b) {
        return switch (b) {
            case 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3 -> true;
            default -> false;
        };
    }

    /** {map, opcode} after the legacy prefixes, or {@code null} if the bytes end before the opcode. */
    static int[] opcode(byte[] b) {
        int n = 0;
        while (n < b.length && isPrefix(b[n] & 0xFF)) {
            n++;
        }
        if (n >= b.length) {
            return null;
        }
        if ((b[n] & 0xFF) != 0x0F) {
            return new int[] {0, b[n] & 0xFF};
        }
        if (n + 1 >= b.length) {
            return null;
        }
        int o = b[n + 1] & 0xFF;
        if ((o == 0x38 || o == 0x3A) && n + 2 < b.length) {
            return new int[] {o == 0x38 ? 2 : 3, b[n + 2] & 0xFF};
        }
        return new int[] {1, o};
    }
}

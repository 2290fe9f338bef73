package dev.vmm.core.cpu;

/**
 * The MMX and SSE/SSE2 integer and data-movement rows of the opcode table: packed integer
 * arithmetic, comparisons, shifts, packs and unpacks, shuffles, logic, moves between registers and
 * memory, EMMS, cacheability and ordering instructions. Mandatory prefixes select the row
 * ({@code np}, {@code 66}, {@code f2}, {@code f3}; see {@link OpcodeTable}): an MMX instruction is the
 * {@code np} row on {@code P}/{@code Q}/{@code N} (MMX) operands, its SSE2 form the {@code 66} row on
 * {@code V}/{@code W}/{@code U} (XMM) operands; both share one handler, which tells them apart by the
 * kind of the first operand.
 *
 * <p>Operand sizes follow the SDM: the MMX unpack-low forms read a doubleword from memory
 * ({@code Qd}), the SSE2 forms a 16-byte aligned operand ({@code Wdq}); {@code Rd/Mw} is a 32-bit
 * register or a word in memory (PINSRW). Deliberately not decoded (they are later extensions):
 * the SSE3 rows in these opcodes (F2 0F 12 MOVDDUP, F3 0F 12 MOVSLDUP, F3 0F 16 MOVSHDUP, F2 0F D0
 * ADDSUBPS, F2 0F F0 LDDQU, F2 0F 7C/7D), the SSSE3/SSE4 0F 38 and 0F 3A maps, 0F 18 /4-/7
 * (later hints), 66 0F AE /6 and /7 (CLWB, CLFLUSHOPT) and SSE4A (F2 0F 78/79, 66 0F 78/79).
 */
final class SimdIntTable {
    private SimdIntTable() {
    }

    /** Packed integer arithmetic, comparisons, logic, shifts by register, packs and unpacks: MMX (np) and SSE2 (66). */
    private static final String PACKED = """
            # --- MMX and SSE2 packed integer ------------------------------------------------
            0F 60 /r | PUNPCKLBW Pq,Qd | np
            0F 60 /r | PUNPCKLBW Vdq,Wdq | 66
            0F 61 /r | PUNPCKLWD Pq,Qd | np
            0F 61 /r | PUNPCKLWD Vdq,Wdq | 66
            0F 62 /r | PUNPCKLDQ Pq,Qd | np
            0F 62 /r | PUNPCKLDQ Vdq,Wdq | 66
            0F 63 /r | PACKSSWB Pq,Qq | np
            0F 63 /r | PACKSSWB Vdq,Wdq | 66
            0F 64 /r | PCMPGTB Pq,Qq | np
            0F 64 /r | PCMPGTB Vdq,Wdq | 66
            0F 65 /r | PCMPGTW Pq,Qq | np
            0F 65 /r | PCMPGTW Vdq,Wdq | 66
            0F 66 /r | PCMPGTD Pq,Qq | np
            0F 66 /r | PCMPGTD Vdq,Wdq | 66
            0F 67 /r | PACKUSWB Pq,Qq | np
            0F 67 /r | PACKUSWB Vdq,Wdq | 66
            0F 68 /r | PUNPCKHBW Pq,Qq | np
            0F 68 /r | PUNPCKHBW Vdq,Wdq | 66
            0F 69 /r | PUNPCKHWD Pq,Qq | np
            0F 69 /r | PUNPCKHWD Vdq,Wdq | 66
            0F 6A /r | PUNPCKHDQ Pq,Qq | np
            0F 6A /r | PUNPCKHDQ Vdq,Wdq | 66
            0F 6B /r | PACKSSDW Pq,Qq | np
            0F 6B /r | PACKSSDW Vdq,Wdq | 66
            0F 6C /r | PUNPCKLQDQ Vdq,Wdq | 66
            0F 6D /r | PUNPCKHQDQ Vdq,Wdq | 66
            0F 74 /r | PCMPEQB Pq,Qq | np
            0F 74 /r | PCMPEQB Vdq,Wdq | 66
            0F 75 /r | PCMPEQW Pq,Qq | np
            0F 75 /r | PCMPEQW Vdq,Wdq | 66
            0F 76 /r | PCMPEQD Pq,Qq | np
            0F 76 /r | PCMPEQD Vdq,Wdq | 66
            0F D1 /r | PSRLW Pq,Qq | np
            0F D1 /r | PSRLW Vdq,Wdq | 66
            0F D2 /r | PSRLD Pq,Qq | np
            0F D2 /r | PSRLD Vdq,Wdq | 66
            0F D3 /r | PSRLQ Pq,Qq | np
            0F D3 /r | PSRLQ Vdq,Wdq | 66
            0F D4 /r | PADDQ Pq,Qq | np
            0F D4 /r | PADDQ Vdq,Wdq | 66
            0F D5 /r | PMULLW Pq,Qq | np
            0F D5 /r | PMULLW Vdq,Wdq | 66
            0F D8 /r | PSUBUSB Pq,Qq | np
            0F D8 /r | PSUBUSB Vdq,Wdq | 66
            0F D9 /r | PSUBUSW Pq,Qq | np
            0F D9 /r | PSUBUSW Vdq,Wdq | 66
            0F DA /r | PMINUB Pq,Qq | np
            0F DA /r | PMINUB Vdq,Wdq | 66
            0F DB /r | PAND Pq,Qq | np
            0F DB /r | PAND Vdq,Wdq | 66
            0F DC /r | PADDUSB Pq,Qq | np
            0F DC /r | PADDUSB Vdq,Wdq | 66
            0F DD /r | PADDUSW Pq,Qq | np
            0F DD /r | PADDUSW Vdq,Wdq | 66
            0F DE /r | PMAXUB Pq,Qq | np
            0F DE /r | PMAXUB Vdq,Wdq | 66
            0F DF /r | PANDN Pq,Qq | np
            0F DF /r | PANDN Vdq,Wdq | 66
            0F E0 /r | PAVGB Pq,Qq | np
            0F E0 /r | PAVGB Vdq,Wdq | 66
            0F E1 /r | PSRAW Pq,Qq | np
            0F E1 /r | PSRAW Vdq,Wdq | 66
            0F E2 /r | PSRAD Pq,Qq | np
            0F E2 /r | PSRAD Vdq,Wdq | 66
            0F E3 /r | PAVGW Pq,Qq | np
            0F E3 /r | PAVGW Vdq,Wdq | 66
            0F E4 /r | PMULHUW Pq,Qq | np
            0F E4 /r | PMULHUW Vdq,Wdq | 66
            0F E5 /r | PMULHW Pq,Qq | np
            0F E5 /r | PMULHW Vdq,Wdq | 66
            0F E8 /r | PSUBSB Pq,Qq | np
            0F E8 /r | PSUBSB Vdq,Wdq | 66
            0F E9 /r | PSUBSW Pq,Qq | np
            0F E9 /r | PSUBSW Vdq,Wdq | 66
            0F EA /r | PMINSW Pq,Qq | np
            0F EA /r | PMINSW Vdq,Wdq | 66
            0F EB /r | POR Pq,Qq | np
            0F EB /r | POR Vdq,Wdq | 66
            0F EC /r | PADDSB Pq,Qq | np
            0F EC /r | PADDSB Vdq,Wdq | 66
            0F ED /r | PADDSW Pq,Qq | np
            0F ED /r | PADDSW Vdq,Wdq | 66
            0F EE /r | PMAXSW Pq,Qq | np
            0F EE /r | PMAXSW Vdq,Wdq | 66
            0F EF /r | PXOR Pq,Qq | np
            0F EF /r | PXOR Vdq,Wdq | 66
            0F F1 /r | PSLLW Pq,Qq | np
            0F F1 /r | PSLLW Vdq,Wdq | 66
            0F F2 /r | PSLLD Pq,Qq | np
            0F F2 /r | PSLLD Vdq,Wdq | 66
            0F F3 /r | PSLLQ Pq,Qq | np
            0F F3 /r | PSLLQ Vdq,Wdq | 66
            0F F4 /r | PMULUDQ Pq,Qq | np
            0F F4 /r | PMULUDQ Vdq,Wdq | 66
            0F F5 /r | PMADDWD Pq,Qq | np
            0F F5 /r | PMADDWD Vdq,Wdq | 66
            0F F6 /r | PSADBW Pq,Qq | np
            0F F6 /r | PSADBW Vdq,Wdq | 66
            0F F8 /r | PSUBB Pq,Qq | np
            0F F8 /r | PSUBB Vdq,Wdq | 66
            0F F9 /r | PSUBW Pq,Qq | np
            0F F9 /r | PSUBW Vdq,Wdq | 66
            0F FA /r | PSUBD Pq,Qq | np
            0F FA /r | PSUBD Vdq,Wdq | 66
            0F FB /r | PSUBQ Pq,Qq | np
            0F FB /r | PSUBQ Vdq,Wdq | 66
            0F FC /r | PADDB Pq,Qq | np
            0F FC /r | PADDB Vdq,Wdq | 66
            0F FD /r | PADDW Pq,Qq | np
            0F FD /r | PADDW Vdq,Wdq | 66
            0F FE /r | PADDD Pq,Qq | np
            0F FE /r | PADDD Vdq,Wdq | 66
            """;

    /** Shifts by an immediate (groups 12-14), shuffles, word insert/extract, byte masks. */
    private static final String PACKED_MISC = """
            0F 71 /2 | PSRLW Nq,Ib   | np reg
            0F 71 /4 | PSRAW Nq,Ib   | np reg
            0F 71 /6 | PSLLW Nq,Ib   | np reg
            0F 71 /2 | PSRLW Udq,Ib  | 66 reg
            0F 71 /4 | PSRAW Udq,Ib  | 66 reg
            0F 71 /6 | PSLLW Udq,Ib  | 66 reg
            0F 72 /2 | PSRLD Nq,Ib   | np reg
            0F 72 /4 | PSRAD Nq,Ib   | np reg
            0F 72 /6 | PSLLD Nq,Ib   | np reg
            0F 72 /2 | PSRLD Udq,Ib  | 66 reg
            0F 72 /4 | PSRAD Udq,Ib  | 66 reg
            0F 72 /6 | PSLLD Udq,Ib  | 66 reg
            0F 73 /2 | PSRLQ Nq,Ib   | np reg
            0F 73 /6 | PSLLQ Nq,Ib   | np reg
            0F 73 /2 | PSRLQ Udq,Ib  | 66 reg
            0F 73 /3 | PSRLDQ Udq,Ib | 66 reg
            0F 73 /6 | PSLLQ Udq,Ib  | 66 reg
            0F 73 /7 | PSLLDQ Udq,Ib | 66 reg
            0F 70 /r | PSHUFW Pq,Qq,Ib    | np
            0F 70 /r | PSHUFD Vdq,Wdq,Ib  | 66
            0F 70 /r | PSHUFHW Vdq,Wdq,Ib | f3
            0F 70 /r | PSHUFLW Vdq,Wdq,Ib | f2
            0F C4 /r | PINSRW Pq,Rd/Mw,Ib  | np
            0F C4 /r | PINSRW Vdq,Rd/Mw,Ib | 66
            0F C5 /r | PEXTRW Gd,Nq,Ib     | np reg
            0F C5 /r | PEXTRW Gd,Udq,Ib    | 66 reg
            0F D7 /r | PMOVMSKB Gd,Nq      | np reg
            0F D7 /r | PMOVMSKB Gd,Udq     | 66 reg
            0F 77    | EMMS                | np
            """;

    /** Integer moves: MOVD, MOVQ, MOVDQA/MOVDQU, MMX-XMM moves, non-temporal and masked stores. */
    private static final String MOVES = """
            0F 6E /r | MOVD Pd,Ed     | np @MOVD_LOAD
            0F 6E /r | MOVD Vd,Ed     | 66 @MOVD_LOAD
            0F 7E /r | MOVD Ed,Pd     | np @MOVD_STORE
            0F 7E /r | MOVD Ed,Vd     | 66 @MOVD_STORE
            0F 7E /r | MOVQ Vq,Wq     | f3 @MOVQ_XMM_LOAD
            0F 6F /r | MOVQ Pq,Qq     | np @MOVQ_MMX_LOAD
            0F 7F /r | MOVQ Qq,Pq     | np @MOVQ_MMX_STORE
            0F D6 /r | MOVQ Wq,Vq     | 66 @MOVQ_XMM_STORE
            0F 6F /r | MOVDQA Vdq,Wdq | 66 @MOVA_LOAD
            0F 7F /r | MOVDQA Wdq,Vdq | 66 @MOVA_STORE
            0F 6F /r | MOVDQU Vdq,Wdq | f3 @MOVU_LOAD
            0F 7F /r | MOVDQU Wdq,Vdq | f3 @MOVU_STORE
            0F D6 /r | MOVQ2DQ Vdq,Nq | f3 reg
            0F D6 /r | MOVDQ2Q Pq,Uq  | f2 reg
            0F E7 /r | MOVNTQ Mq,Pq   | np mem
            0F E7 /r | MOVNTDQ Mdq,Vdq | 66 mem @MOVA_STORE
            0F F7 /r | MASKMOVQ Pq,Nq | np reg
            0F F7 /r | MASKMOVDQU Vdq,Udq | 66 reg
            0F C3 /r | MOVNTI Md,Gd   | np mem
            """;

    /** SSE/SSE2 moves, logic, shuffles and unpacks on floating-point data (bitwise: no floating-point exceptions). */
    private static final String FLOAT_MOVES = """
            0F 10 /r | MOVUPS Vps,Wps | np @MOVU_LOAD
            0F 10 /r | MOVUPD Vpd,Wpd | 66 @MOVU_LOAD
            0F 10 /r | MOVSS Vss,Wss  | f3 @MOVSS_LOAD
            0F 10 /r | MOVSD Vsd,Wsd  | f2 @MOVSD_LOAD
            0F 11 /r | MOVUPS Wps,Vps | np @MOVU_STORE
            0F 11 /r | MOVUPD Wpd,Vpd | 66 @MOVU_STORE
            0F 11 /r | MOVSS Wss,Vss  | f3 @MOVSS_STORE
            0F 11 /r | MOVSD Wsd,Vsd  | f2 @MOVSD_STORE
            0F 12 /r | MOVHLPS Vq,Uq  | np reg
            0F 12 /r | MOVLPS Vq,Mq   | np mem @MOVLP_LOAD
            0F 12 /r | MOVLPD Vq,Mq   | 66 mem @MOVLP_LOAD
            0F 13 /r | MOVLPS Mq,Vq   | np mem @MOVLP_STORE
            0F 13 /r | MOVLPD Mq,Vq   | 66 mem @MOVLP_STORE
            0F 14 /r | UNPCKLPS Vps,Wps | np
            0F 14 /r | UNPCKLPD Vpd,Wpd | 66
            0F 15 /r | UNPCKHPS Vps,Wps | np
            0F 15 /r | UNPCKHPD Vpd,Wpd | 66
            0F 16 /r | MOVLHPS Vq,Uq  | np reg
            0F 16 /r | MOVHPS Vq,Mq   | np mem @MOVHP_LOAD
            0F 16 /r | MOVHPD Vq,Mq   | 66 mem @MOVHP_LOAD
            0F 17 /r | MOVHPS Mq,Vq   | np mem @MOVHP_STORE
            0F 17 /r | MOVHPD Mq,Vq   | 66 mem @MOVHP_STORE
            0F 28 /r | MOVAPS Vps,Wps | np @MOVA_LOAD
            0F 28 /r | MOVAPD Vpd,Wpd | 66 @MOVA_LOAD
            0F 29 /r | MOVAPS Wps,Vps | np @MOVA_STORE
            0F 29 /r | MOVAPD Wpd,Vpd | 66 @MOVA_STORE
            0F 2B /r | MOVNTPS Mps,Vps | np mem @MOVA_STORE
            0F 2B /r | MOVNTPD Mpd,Vpd | 66 mem @MOVA_STORE
            0F 50 /r | MOVMSKPS Gd,Ups | np reg
            0F 50 /r | MOVMSKPD Gd,Upd | 66 reg
            0F 54 /r | ANDPS Vps,Wps  | np @PAND
            0F 54 /r | ANDPD Vpd,Wpd  | 66 @PAND
            0F 55 /r | ANDNPS Vps,Wps | np @PANDN
            0F 55 /r | ANDNPD Vpd,Wpd | 66 @PANDN
            0F 56 /r | ORPS Vps,Wps   | np @POR
            0F 56 /r | ORPD Vpd,Wpd   | 66 @POR
            0F 57 /r | XORPS Vps,Wps  | np @PXOR
            0F 57 /r | XORPD Vpd,Wpd  | 66 @PXOR
            0F C6 /r | SHUFPS Vps,Wps,Ib | np
            0F C6 /r | SHUFPD Vpd,Wpd,Ib | 66
            """;

    /** Cacheability hints and memory ordering (no SIMD state: EM, TS and OSFXSR do not apply). */
    private static final String CACHE = """
            0F 18 /0 | PREFETCHNTA Mb | mem @PREFETCH
            0F 18 /1 | PREFETCHT0 Mb  | mem @PREFETCH
            0F 18 /2 | PREFETCHT1 Mb  | mem @PREFETCH
            0F 18 /3 | PREFETCHT2 Mb  | mem @PREFETCH
            0F AE /5 | LFENCE         | np reg @FENCE
            0F AE /6 | MFENCE         | np reg @FENCE
            0F AE /7 | SFENCE         | np reg @FENCE
            0F AE /7 | CLFLUSH Mb     | np mem
            """;

    static final String ROWS = PACKED + PACKED_MISC + MOVES + FLOAT_MOVES + CACHE;
}

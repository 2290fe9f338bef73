package dev.vmm.core.cpu;

/**
 * The SSE and SSE2 floating-point rows of the opcode table: packed and scalar single/double
 * arithmetic, comparisons, conversions, MXCSR access. Mandatory prefixes select the row
 * ({@code np}, {@code 66}, {@code f2}, {@code f3}; see {@link OpcodeTable}).
 */
final class SseFloatTable {
    private SseFloatTable() {
    }

    static final String ROWS = """
            # --- SSE/SSE2 floating point -------------------------------------------------------
            0F 2A /r | CVTPI2PS Vps,Qq   | np
            0F 2A /r | CVTPI2PD Vpd,Qq   | 66
            0F 2A /r | CVTSI2SS Vss,Ed   | f3
            0F 2A /r | CVTSI2SD Vsd,Ed   | f2
            0F 2C /r | CVTTPS2PI Pq,Wq   | np
            0F 2C /r | CVTTPD2PI Pq,Wpd  | 66
            0F 2C /r | CVTTSS2SI Gd,Wss  | f3
            0F 2C /r | CVTTSD2SI Gd,Wsd  | f2
            0F 2D /r | CVTPS2PI Pq,Wq    | np
            0F 2D /r | CVTPD2PI Pq,Wpd   | 66
            0F 2D /r | CVTSS2SI Gd,Wss   | f3
            0F 2D /r | CVTSD2SI Gd,Wsd   | f2
            0F 2E /r | UCOMISS Vss,Wss   | np
            0F 2E /r | UCOMISD Vsd,Wsd   | 66
            0F 2F /r | COMISS Vss,Wss    | np
            0F 2F /r | COMISD Vsd,Wsd    | 66
            0F 51 /r | SQRTPS Vps,Wps    | np
            0F 51 /r | SQRTPD Vpd,Wpd    | 66
            0F 51 /r | SQRTSS Vss,Wss    | f3
            0F 51 /r | SQRTSD Vsd,Wsd    | f2
            0F 52 /r | RSQRTPS Vps,Wps   | np
            0F 52 /r | RSQRTSS Vss,Wss   | f3
            0F 53 /r | RCPPS Vps,Wps     | np
            0F 53 /r | RCPSS Vss,Wss     | f3
            0F 58 /r | ADDPS Vps,Wps     | np
            0F 58 /r | ADDPD Vpd,Wpd     | 66
            0F 58 /r | ADDSS Vss,Wss     | f3
            0F 58 /r | ADDSD Vsd,Wsd     | f2
            0F 59 /r | MULPS Vps,Wps     | np
            0F 59 /r | MULPD Vpd,Wpd     | 66
            0F 59 /r | MULSS Vss,Wss     | f3
            0F 59 /r | MULSD Vsd,Wsd     | f2
            0F 5A /r | CVTPS2PD Vpd,Wq   | np
            0F 5A /r | CVTPD2PS Vps,Wpd  | 66
            0F 5A /r | CVTSS2SD Vsd,Wss  | f3
            0F 5A /r | CVTSD2SS Vss,Wsd  | f2
            0F 5B /r | CVTDQ2PS Vps,Wdq  | np
            0F 5B /r | CVTPS2DQ Vdq,Wps  | 66
            0F 5B /r | CVTTPS2DQ Vdq,Wps | f3
            0F 5C /r | SUBPS Vps,Wps     | np
            0F 5C /r | SUBPD Vpd,Wpd     | 66
            0F 5C /r | SUBSS Vss,Wss     | f3
            0F 5C /r | SUBSD Vsd,Wsd     | f2
            0F 5D /r | MINPS Vps,Wps     | np
            0F 5D /r | MINPD Vpd,Wpd     | 66
            0F 5D /r | MINSS Vss,Wss     | f3
            0F 5D /r | MINSD Vsd,Wsd     | f2
            0F 5E /r | DIVPS Vps,Wps     | np
            0F 5E /r | DIVPD Vpd,Wpd     | 66
            0F 5E /r | DIVSS Vss,Wss     | f3
            0F 5E /r | DIVSD Vsd,Wsd     | f2
            0F 5F /r | MAXPS Vps,Wps     | np
            0F 5F /r | MAXPD Vpd,Wpd     | 66
            0F 5F /r | MAXSS Vss,Wss     | f3
            0F 5F /r | MAXSD Vsd,Wsd     | f2
            0F AE /2 | LDMXCSR Md        | mem np
            0F AE /3 | STMXCSR Md        | mem np
            0F C2 /r | CMPPS Vps,Wps,Ib  | np
            0F C2 /r | CMPPD Vpd,Wpd,Ib  | 66
            0F C2 /r | CMPSS Vss,Wss,Ib  | f3
            0F C2 /r | CMPSD Vsd,Wsd,Ib  | f2
            0F E6 /r | CVTTPD2DQ Vdq,Wpd | 66
            0F E6 /r | CVTDQ2PD Vpd,Wq   | f3
            0F E6 /r | CVTPD2DQ Vdq,Wpd  | f2
            """;
}

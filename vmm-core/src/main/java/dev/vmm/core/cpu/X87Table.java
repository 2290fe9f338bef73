package dev.vmm.core.cpu;

/**
 * The x87 rows of the opcode table (escape opcodes D8-DF), in the notation of {@link OpcodeTable}:
 * {@code STi} is ST(i) from ModRM r/m (register forms carry the {@code reg} attribute), {@code ST}
 * is ST(0), memory operands are {@code Mw}/{@code Md}/{@code Mq}/{@code Mt} (2, 4, 8, 10 bytes) or
 * {@code M} for the environment and state images.
 */
final class X87Table {
    private X87Table() {
    }

    /** Loads, stores, arithmetic, comparisons, control and environment instructions. */
    static final String ROWS = """
            # --- D8: single-real memory operand / ST(0), ST(i) -------------------------------------
            D8 /0 | FADD Md       | mem @FARITH_M32
            D8 /1 | FMUL Md       | mem @FARITH_M32
            D8 /2 | FCOM Md       | mem @FCOM_M32
            D8 /3 | FCOMP Md      | mem @FCOM_M32
            D8 /4 | FSUB Md       | mem @FARITH_M32
            D8 /5 | FSUBR Md      | mem @FARITH_M32
            D8 /6 | FDIV Md       | mem @FARITH_M32
            D8 /7 | FDIVR Md      | mem @FARITH_M32
            D8 /0 | FADD ST,STi   | reg @FARITH_ST0
            D8 /1 | FMUL ST,STi   | reg @FARITH_ST0
            D8 /2 | FCOM ST,STi   | reg @FCOM_STI
            D8 /3 | FCOMP ST,STi  | reg @FCOM_STI
            D8 /4 | FSUB ST,STi   | reg @FARITH_ST0
            D8 /5 | FSUBR ST,STi  | reg @FARITH_ST0
            D8 /6 | FDIV ST,STi   | reg @FARITH_ST0
            D8 /7 | FDIVR ST,STi  | reg @FARITH_ST0
            # --- D9: loads, stores, control, constants, unary operations ------------------------------
            D9 /0 | FLD Md        | mem @FLD_M32
            D9 /2 | FST Md        | mem @FST_M32
            D9 /3 | FSTP Md       | mem @FST_M32
            D9 /4 | FLDENV M      | mem
            D9 /5 | FLDCW Mw      | mem
            D9 /6 | FNSTENV M     | mem
            D9 /7 | FNSTCW Mw     | mem
            D9 /0 | FLD STi       | reg @FLD_STI
            D9 /1 | FXCH ST,STi   | reg @FXCH
            D9 D0 | FNOP          |
            D9 /3 | FSTPNCE STi   | reg @FST_STI
            D9 E0 | FCHS          |
            D9 E1 | FABS          |
            D9 E4 | FTST          |
            D9 E5 | FXAM          |
            D9 E8 | FLD1          | @FLDCONST
            D9 E9 | FLDL2T        | @FLDCONST
            D9 EA | FLDL2E        | @FLDCONST
            D9 EB | FLDPI         | @FLDCONST
            D9 EC | FLDLG2        | @FLDCONST
            D9 ED | FLDLN2        | @FLDCONST
            D9 EE | FLDZ          | @FLDCONST
            D9 F6 | FDECSTP       |
            D9 F7 | FINCSTP       |
            D9 FA | FSQRT         |
            # --- DA: dword-integer memory operand / FCMOVcc, FUCOMPP ------------------------------
            DA /0 | FIADD Md      | mem @FARITH_I32
            DA /1 | FIMUL Md      | mem @FARITH_I32
            DA /2 | FICOM Md      | mem @FCOM_I32
            DA /3 | FICOMP Md     | mem @FCOM_I32
            DA /4 | FISUB Md      | mem @FARITH_I32
            DA /5 | FISUBR Md     | mem @FARITH_I32
            DA /6 | FIDIV Md      | mem @FARITH_I32
            DA /7 | FIDIVR Md     | mem @FARITH_I32
            DA /0 | FCMOVB ST,STi  | reg @FCMOV
            DA /1 | FCMOVE ST,STi  | reg @FCMOV
            DA /2 | FCMOVBE ST,STi | reg @FCMOV
            DA /3 | FCMOVU ST,STi  | reg @FCMOV
            DA E9 | FUCOMPP       | @FCOMPP
            # --- DB: dword integer, extended real / FCMOVcc, control, FCOMI ----------------------------
            DB /0 | FILD Md       | mem @FILD
            DB /1 | FISTTP Md     | mem @FIST
            DB /2 | FIST Md       | mem @FIST
            DB /3 | FISTP Md      | mem @FIST
            DB /5 | FLD Mt        | mem @FLD_M80
            DB /7 | FSTP Mt       | mem @FSTP_M80
            DB /0 | FCMOVNB ST,STi  | reg @FCMOV
            DB /1 | FCMOVNE ST,STi  | reg @FCMOV
            DB /2 | FCMOVNBE ST,STi | reg @FCMOV
            DB /3 | FCMOVNU ST,STi  | reg @FCMOV
            DB E0 | FNENI         | @FNOP_LEGACY
            DB E1 | FNDISI        | @FNOP_LEGACY
            DB E2 | FNCLEX        |
            DB E3 | FNINIT        |
            DB E4 | FNSETPM       | @FNOP_LEGACY
            DB /5 | FUCOMI ST,STi | reg @FCOMI
            DB /6 | FCOMI ST,STi  | reg @FCOMI
            # --- DC: double-real memory operand / ST(i), ST(0) ------------------------------------
            DC /0 | FADD Mq       | mem @FARITH_M64
            DC /1 | FMUL Mq       | mem @FARITH_M64
            DC /2 | FCOM Mq       | mem @FCOM_M64
            DC /3 | FCOMP Mq      | mem @FCOM_M64
            DC /4 | FSUB Mq       | mem @FARITH_M64
            DC /5 | FSUBR Mq      | mem @FARITH_M64
            DC /6 | FDIV Mq       | mem @FARITH_M64
            DC /7 | FDIVR Mq      | mem @FARITH_M64
            DC /0 | FADD STi,ST   | reg @FARITH_STI
            DC /1 | FMUL STi,ST   | reg @FARITH_STI
            DC /2 | FCOM ST,STi   | reg @FCOM_STI
            DC /3 | FCOMP ST,STi  | reg @FCOM_STI
            DC /4 | FSUBR STi,ST  | reg @FARITH_STI
            DC /5 | FSUB STi,ST   | reg @FARITH_STI
            DC /6 | FDIVR STi,ST  | reg @FARITH_STI
            DC /7 | FDIV STi,ST   | reg @FARITH_STI
            # --- DD: double real, state / FFREE, FST(P) ST(i), FUCOM(P) ------------------------------
            DD /0 | FLD Mq        | mem @FLD_M64
            DD /1 | FISTTP Mq     | mem @FIST
            DD /2 | FST Mq        | mem @FST_M64
            DD /3 | FSTP Mq       | mem @FST_M64
            DD /4 | FRSTOR M      | mem
            DD /6 | FNSAVE M      | mem
            DD /7 | FNSTSW Mw     | mem
            DD /0 | FFREE STi     | reg
            DD /1 | FXCH ST,STi   | reg @FXCH
            DD /2 | FST STi       | reg @FST_STI
            DD /3 | FSTP STi      | reg @FST_STI
            DD /4 | FUCOM ST,STi  | reg @FCOM_STI
            DD /5 | FUCOMP ST,STi | reg @FCOM_STI
            # --- DE: word-integer memory operand / arithmetic and pop -------------------------------
            DE /0 | FIADD Mw      | mem @FARITH_I16
            DE /1 | FIMUL Mw      | mem @FARITH_I16
            DE /2 | FICOM Mw      | mem @FCOM_I16
            DE /3 | FICOMP Mw     | mem @FCOM_I16
            DE /4 | FISUB Mw      | mem @FARITH_I16
            DE /5 | FISUBR Mw     | mem @FARITH_I16
            DE /6 | FIDIV Mw      | mem @FARITH_I16
            DE /7 | FIDIVR Mw     | mem @FARITH_I16
            DE /0 | FADDP STi,ST  | reg @FARITH_STIP
            DE /1 | FMULP STi,ST  | reg @FARITH_STIP
            DE /2 | FCOMP ST,STi  | reg @FCOM_STI
            DE D9 | FCOMPP        | @FCOMPP
            DE /4 | FSUBRP STi,ST | reg @FARITH_STIP
            DE /5 | FSUBP STi,ST  | reg @FARITH_STIP
            DE /6 | FDIVRP STi,ST | reg @FARITH_STIP
            DE /7 | FDIVP STi,ST  | reg @FARITH_STIP
            # --- DF: word and qword integer, packed BCD / FFREEP, FNSTSW AX, FCOMIP -------------------
            DF /0 | FILD Mw       | mem @FILD
            DF /1 | FISTTP Mw     | mem @FIST
            DF /2 | FIST Mw       | mem @FIST
            DF /3 | FISTP Mw      | mem @FIST
            DF /4 | FBLD Mt       | mem
            DF /5 | FILD Mq       | mem @FILD
            DF /6 | FBSTP Mt      | mem
            DF /7 | FISTP Mq      | mem @FIST
            DF /0 | FFREEP STi    | reg
            DF /1 | FXCH ST,STi   | reg @FXCH
            DF /2 | FSTP STi      | reg @FST_STI
            DF /3 | FSTP STi      | reg @FST_STI
            DF E0 | FNSTSW AX     | @FNSTSW_AX
            DF /5 | FUCOMIP ST,STi | reg @FCOMI
            DF /6 | FCOMIP ST,STi  | reg @FCOMI
            """;

    /** The transcendental and exact-remainder instructions (all D9 with a fixed ModRM byte). */
    static final String TRANSCENDENTAL = """
            D9 F0 | F2XM1   |
            D9 F1 | FYL2X   |
            D9 F2 | FPTAN   |
            D9 F3 | FPATAN  |
            D9 F4 | FXTRACT |
            D9 F5 | FPREM1  |
            D9 F8 | FPREM   |
            D9 F9 | FYL2XP1 |
            D9 FB | FSINCOS |
            D9 FC | FRNDINT |
            D9 FD | FSCALE  |
            D9 FE | FSIN    |
            D9 FF | FCOS    |
            """;
}

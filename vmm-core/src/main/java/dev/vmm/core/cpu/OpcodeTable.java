package dev.vmm.core.cpu;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The one declarative opcode table of the integer and system instruction set, in the notation of
 * the Intel SDM (volume 2, appendix A). It drives the decoder, the disassembler and the tests.
 *
 * <p>Row format: {@code opcode | MNEMONIC operands | attributes}. Opcode: hex bytes ({@code 0F}
 * selects the two-byte map), then {@code /r} (has ModRM), {@code /0}..{@code /7} (ModRM reg selects
 * the row) or {@code +r} (register in the low three opcode bits, eight rows). Attributes:
 * {@code lock} (LOCK allowed), {@code rep} (string instruction), {@code mem}/{@code reg} (ModRM mod
 * restriction), {@code o16}/{@code o32} and {@code a16}/{@code a32} (row applies only to that
 * operand/address size), {@code i64} (invalid in 64-bit mode), {@code np}/{@code 66}/{@code f2}/{@code f3}
 * (mandatory SIMD prefix: none, 66, F2, F3; F2/F3 take precedence over 66, the last of F2/F3 wins; a 66 that
 * selects a row does not change the operand size),
 * {@code @KEY} (semantic handler name when it is not the mnemonic). Within one opcode the first row
 * that matches wins.
 */
public final class OpcodeTable {
    private OpcodeTable() {
    }

    static final String INTEGER = """
            # --- one-byte map: arithmetic -------------------------------------------------
            00 /r | ADD Eb,Gb   | lock
            01 /r | ADD Ev,Gv   | lock
            02 /r | ADD Gb,Eb   |
            03 /r | ADD Gv,Ev   |
            04    | ADD AL,Ib   |
            05    | ADD eAX,Iz  |
            06    | PUSH ES     | i64
            07    | POP ES      | i64
            08 /r | OR Eb,Gb    | lock
            09 /r | OR Ev,Gv    | lock
            0A /r | OR Gb,Eb    |
            0B /r | OR Gv,Ev    |
            0C    | OR AL,Ib    |
            0D    | OR eAX,Iz   |
            0E    | PUSH CS     | i64
            10 /r | ADC Eb,Gb   | lock
            11 /r | ADC Ev,Gv   | lock
            12 /r | ADC Gb,Eb   |
            13 /r | ADC Gv,Ev   |
            14    | ADC AL,Ib   |
            15    | ADC eAX,Iz  |
            16    | PUSH SS     | i64
            17    | POP SS      | i64
            18 /r | SBB Eb,Gb   | lock
            19 /r | SBB Ev,Gv   | lock
            1A /r | SBB Gb,Eb   |
            1B /r | SBB Gv,Ev   |
            1C    | SBB AL,Ib   |
            1D    | SBB eAX,Iz  |
            1E    | PUSH DS     | i64
            1F    | POP DS      | i64
            20 /r | AND Eb,Gb   | lock
            21 /r | AND Ev,Gv   | lock
            22 /r | AND Gb,Eb   |
            23 /r | AND Gv,Ev   |
            24    | AND AL,Ib   |
            25    | AND eAX,Iz  |
            27    | DAA         | i64
            28 /r | SUB Eb,Gb   | lock
            29 /r | SUB Ev,Gv   | lock
            2A /r | SUB Gb,Eb   |
            2B /r | SUB Gv,Ev   |
            2C    | SUB AL,Ib   |
            2D    | SUB eAX,Iz  |
            2F    | DAS         | i64
            30 /r | XOR Eb,Gb   | lock
            31 /r | XOR Ev,Gv   | lock
            32 /r | XOR Gb,Eb   |
            33 /r | XOR Gv,Ev   |
            34    | XOR AL,Ib   |
            35    | XOR eAX,Iz  |
            37    | AAA         | i64
            38 /r | CMP Eb,Gb   |
            39 /r | CMP Ev,Gv   |
            3A /r | CMP Gb,Eb   |
            3B /r | CMP Gv,Ev   |
            3C    | CMP AL,Ib   |
            3D    | CMP eAX,Iz  |
            3F    | AAS         | i64
            40+r  | INC Zv      | i64
            48+r  | DEC Zv      | i64
            50+r  | PUSH Zv     |
            58+r  | POP Zv      |
            60    | PUSHA       | o16 i64
            60    | PUSHAD      | o32 i64 @PUSHA
            61    | POPA        | o16 i64
            61    | POPAD       | o32 i64 @POPA
            62 /r | BOUND Gv,Ma | mem i64
            63 /r | ARPL Ew,Gw  | i64
            68    | PUSH Iz     |
            69 /r | IMUL Gv,Ev,Iz  | @IMUL3
            6A    | PUSH Ibs    |
            6B /r | IMUL Gv,Ev,Ibs | @IMUL3
            6C    | INSB Yb,DX  | rep @INS
            6D    | INSW Yv,DX  | rep o16 @INS
            6D    | INSD Yv,DX  | rep o32 @INS
            6E    | OUTSB DX,Xb | rep @OUTS
            6F    | OUTSW DX,Xv | rep o16 @OUTS
            6F    | OUTSD DX,Xv | rep o32 @OUTS
            70    | JO Jb       | @JCC
            71    | JNO Jb      | @JCC
            72    | JB Jb       | @JCC
            73    | JAE Jb      | @JCC
            74    | JE Jb       | @JCC
            75    | JNE Jb      | @JCC
            76    | JBE Jb      | @JCC
            77    | JA Jb       | @JCC
            78    | JS Jb       | @JCC
            79    | JNS Jb      | @JCC
            7A    | JP Jb       | @JCC
            7B    | JNP Jb      | @JCC
            7C    | JL Jb       | @JCC
            7D    | JGE Jb      | @JCC
            7E    | JLE Jb      | @JCC
            7F    | JG Jb       | @JCC
            80 /0 | ADD Eb,Ib   | lock
            80 /1 | OR Eb,Ib    | lock
            80 /2 | ADC Eb,Ib   | lock
            80 /3 | SBB Eb,Ib   | lock
            80 /4 | AND Eb,Ib   | lock
            80 /5 | SUB Eb,Ib   | lock
            80 /6 | XOR Eb,Ib   | lock
            80 /7 | CMP Eb,Ib   |
            81 /0 | ADD Ev,Iz   | lock
            81 /1 | OR Ev,Iz    | lock
            81 /2 | ADC Ev,Iz   | lock
            81 /3 | SBB Ev,Iz   | lock
            81 /4 | AND Ev,Iz   | lock
            81 /5 | SUB Ev,Iz   | lock
            81 /6 | XOR Ev,Iz   | lock
            81 /7 | CMP Ev,Iz   |
            82 /0 | ADD Eb,Ib   | lock i64
            82 /1 | OR Eb,Ib    | lock i64
            82 /2 | ADC Eb,Ib   | lock i64
            82 /3 | SBB Eb,Ib   | lock i64
            82 /4 | AND Eb,Ib   | lock i64
            82 /5 | SUB Eb,Ib   | lock i64
            82 /6 | XOR Eb,Ib   | lock i64
            82 /7 | CMP Eb,Ib   | i64
            83 /0 | ADD Ev,Ibs  | lock
            83 /1 | OR Ev,Ibs   | lock
            83 /2 | ADC Ev,Ibs  | lock
            83 /3 | SBB Ev,Ibs  | lock
            83 /4 | AND Ev,Ibs  | lock
            83 /5 | SUB Ev,Ibs  | lock
            83 /6 | XOR Ev,Ibs  | lock
            83 /7 | CMP Ev,Ibs  |
            84 /r | TEST Eb,Gb  |
            85 /r | TEST Ev,Gv  |
            86 /r | XCHG Eb,Gb  | lock
            87 /r | XCHG Ev,Gv  | lock
            88 /r | MOV Eb,Gb   |
            89 /r | MOV Ev,Gv   |
            8A /r | MOV Gb,Eb   |
            8B /r | MOV Gv,Ev   |
            8C /r | MOV Rv/Mw,Sw | @MOV_FROM_SREG
            8D /r | LEA Gv,M    | mem
            8E /r | MOV Sw,Ew   | @MOV_TO_SREG
            8F /0 | POP Ev      |
            90    | PAUSE       | f3
            90    | NOP         |
            90+r  | XCHG Zv,eAX |
            98    | CBW         | o16 @CBW
            98    | CWDE        | o32 @CBW
            99    | CWD         | o16 @CWD
            99    | CDQ         | o32 @CWD
            9A    | CALLF Ap    | i64
            9B    | WAIT        |
            9C    | PUSHF       | o16 @PUSHF
            9C    | PUSHFD      | o32 @PUSHF
            9D    | POPF        | o16 @POPF
            9D    | POPFD       | o32 @POPF
            9E    | SAHF        |
            9F    | LAHF        |
            A0    | MOV AL,Ob   |
            A1    | MOV eAX,Ov  |
            A2    | MOV Ob,AL   |
            A3    | MOV Ov,eAX  |
            A4    | MOVSB Yb,Xb | rep @MOVS
            A5    | MOVSW Yv,Xv | rep o16 @MOVS
            A5    | MOVSD Yv,Xv | rep o32 @MOVS
            A6    | CMPSB Xb,Yb | rep @CMPS
            A7    | CMPSW Xv,Yv | rep o16 @CMPS
            A7    | CMPSD Xv,Yv | rep o32 @CMPS
            A8    | TEST AL,Ib  |
            A9    | TEST eAX,Iz |
            AA    | STOSB Yb,AL | rep @STOS
            AB    | STOSW Yv,eAX | rep o16 @STOS
            AB    | STOSD Yv,eAX | rep o32 @STOS
            AC    | LODSB AL,Xb | rep @LODS
            AD    | LODSW eAX,Xv | rep o16 @LODS
            AD    | LODSD eAX,Xv | rep o32 @LODS
            AE    | SCASB AL,Yb | rep @SCAS
            AF    | SCASW eAX,Yv | rep o16 @SCAS
            AF    | SCASD eAX,Yv | rep o32 @SCAS
            B0+r  | MOV Zb,Ib   |
            B8+r  | MOV Zv,Iv   |
            C0 /0 | ROL Eb,Ib   |
            C0 /1 | ROR Eb,Ib   |
            C0 /2 | RCL Eb,Ib   |
            C0 /3 | RCR Eb,Ib   |
            C0 /4 | SHL Eb,Ib   |
            C0 /5 | SHR Eb,Ib   |
            C0 /6 | SAL Eb,Ib   | @SHL
            C0 /7 | SAR Eb,Ib   |
            C1 /0 | ROL Ev,Ib   |
            C1 /1 | ROR Ev,Ib   |
            C1 /2 | RCL Ev,Ib   |
            C1 /3 | RCR Ev,Ib   |
            C1 /4 | SHL Ev,Ib   |
            C1 /5 | SHR Ev,Ib   |
            C1 /6 | SAL Ev,Ib   | @SHL
            C1 /7 | SAR Ev,Ib   |
            C2    | RET Iw      |
            C3    | RET         |
            C4 /r | LES Gz,Mp   | mem i64 @LOAD_FAR
            C5 /r | LDS Gz,Mp   | mem i64 @LOAD_FAR
            C6 /0 | MOV Eb,Ib   |
            C7 /0 | MOV Ev,Iz   |
            C8    | ENTER Iw,Ib |
            C9    | LEAVE       |
            CA    | RETF Iw     |
            CB    | RETF        |
            CC    | INT3        |
            CD    | INT Ib      |
            CE    | INTO        | i64
            CF    | IRET        | o16 @IRET
            CF    | IRETD       | o32 @IRET
            D0 /0 | ROL Eb,1    |
            D0 /1 | ROR Eb,1    |
            D0 /2 | RCL Eb,1    |
            D0 /3 | RCR Eb,1    |
            D0 /4 | SHL Eb,1    |
            D0 /5 | SHR Eb,1    |
            D0 /6 | SAL Eb,1    | @SHL
            D0 /7 | SAR Eb,1    |
            D1 /0 | ROL Ev,1    |
            D1 /1 | ROR Ev,1    |
            D1 /2 | RCL Ev,1    |
            D1 /3 | RCR Ev,1    |
            D1 /4 | SHL Ev,1    |
            D1 /5 | SHR Ev,1    |
            D1 /6 | SAL Ev,1    | @SHL
            D1 /7 | SAR Ev,1    |
            D2 /0 | ROL Eb,CL   |
            D2 /1 | ROR Eb,CL   |
            D2 /2 | RCL Eb,CL   |
            D2 /3 | RCR Eb,CL   |
            D2 /4 | SHL Eb,CL   |
            D2 /5 | SHR Eb,CL   |
            D2 /6 | SAL Eb,CL   | @SHL
            D2 /7 | SAR Eb,CL   |
            D3 /0 | ROL Ev,CL   |
            D3 /1 | ROR Ev,CL   |
            D3 /2 | RCL Ev,CL   |
            D3 /3 | RCR Ev,CL   |
            D3 /4 | SHL Ev,CL   |
            D3 /5 | SHR Ev,CL   |
            D3 /6 | SAL Ev,CL   | @SHL
            D3 /7 | SAR Ev,CL   |
            D4    | AAM Ib      | i64
            D5    | AAD Ib      | i64
            D6    | SALC        | i64
            D7    | XLAT        |
            E0    | LOOPNE Jb   | @LOOP
            E1    | LOOPE Jb    | @LOOP
            E2    | LOOP Jb     |
            E3    | JCXZ Jb     | a16 @JCXZ
            E3    | JECXZ Jb    | a32 @JCXZ
            E4    | IN AL,Ib    |
            E5    | IN eAX,Ib   |
            E6    | OUT Ib,AL   |
            E7    | OUT Ib,eAX  |
            E8    | CALL Jz     |
            E9    | JMP Jz      |
            EA    | JMPF Ap     | i64
            EB    | JMP Jb      |
            EC    | IN AL,DX    |
            ED    | IN eAX,DX   |
            EE    | OUT DX,AL   |
            EF    | OUT DX,eAX  |
            F1    | INT1        |
            F4    | HLT         |
            F5    | CMC         |
            F6 /0 | TEST Eb,Ib  |
            F6 /1 | TEST Eb,Ib  |
            F6 /2 | NOT Eb      | lock
            F6 /3 | NEG Eb      | lock
            F6 /4 | MUL Eb      |
            F6 /5 | IMUL Eb     | @IMUL1
            F6 /6 | DIV Eb      |
            F6 /7 | IDIV Eb     |
            F7 /0 | TEST Ev,Iz  |
            F7 /1 | TEST Ev,Iz  |
            F7 /2 | NOT Ev      | lock
            F7 /3 | NEG Ev      | lock
            F7 /4 | MUL Ev      |
            F7 /5 | IMUL Ev     | @IMUL1
            F7 /6 | DIV Ev      |
            F7 /7 | IDIV Ev     |
            F8    | CLC         |
            F9    | STC         |
            FA    | CLI         |
            FB    | STI         |
            FC    | CLD         |
            FD    | STD         |
            FE /0 | INC Eb      | lock
            FE /1 | DEC Eb      | lock
            FF /0 | INC Ev      | lock
            FF /1 | DEC Ev      | lock
            FF /2 | CALL Ev     |
            FF /3 | CALLF Mp    | mem
            FF /4 | JMP Ev      |
            FF /5 | JMPF Mp     | mem
            FF /6 | PUSH Ev     |
            # --- two-byte map ----------------------------------------------------------------
            0F 00 /0 | SLDT Rv/Mw | @SLDT
            0F 00 /1 | STR Rv/Mw  | @STR
            0F 00 /2 | LLDT Ew  |
            0F 00 /3 | LTR Ew   |
            0F 00 /4 | VERR Ew  |
            0F 00 /5 | VERW Ew  |
            0F 01 /0 | SGDT Ms  | mem
            0F 01 /1 | SIDT Ms  | mem
            0F 01 /2 | LGDT Ms  | mem
            0F 01 /3 | LIDT Ms  | mem
            0F 01 /4 | SMSW Mw/Rv |
            0F 01 /6 | LMSW Ew  |
            0F 01 /7 | INVLPG M | mem
            0F 02 /r | LAR Gv,Ew |
            0F 03 /r | LSL Gv,Ew |
            0F 06    | CLTS     |
            0F 08    | INVD     |
            0F 09    | WBINVD   |
            0F 0B    | UD2      |
            0F 1F /0 | NOP Ev   | @NOP
            0F 20 /r | MOV Rd,Cd | @MOV_FROM_CR
            0F 21 /r | MOV Rd,Dd | @MOV_FROM_DR
            0F 22 /r | MOV Cd,Rd | @MOV_TO_CR
            0F 23 /r | MOV Dd,Rd | @MOV_TO_DR
            0F 30    | WRMSR    |
            0F 31    | RDTSC    |
            0F 32    | RDMSR    |
            0F 33    | RDPMC    |
            0F 34    | SYSENTER |
            0F 35    | SYSEXIT  |
            0F 40 /r | CMOVO Gv,Ev  | @CMOVCC
            0F 41 /r | CMOVNO Gv,Ev | @CMOVCC
            0F 42 /r | CMOVB Gv,Ev  | @CMOVCC
            0F 43 /r | CMOVAE Gv,Ev | @CMOVCC
            0F 44 /r | CMOVE Gv,Ev  | @CMOVCC
            0F 45 /r | CMOVNE Gv,Ev | @CMOVCC
            0F 46 /r | CMOVBE Gv,Ev | @CMOVCC
            0F 47 /r | CMOVA Gv,Ev  | @CMOVCC
            0F 48 /r | CMOVS Gv,Ev  | @CMOVCC
            0F 49 /r | CMOVNS Gv,Ev | @CMOVCC
            0F 4A /r | CMOVP Gv,Ev  | @CMOVCC
            0F 4B /r | CMOVNP Gv,Ev | @CMOVCC
            0F 4C /r | CMOVL Gv,Ev  | @CMOVCC
            0F 4D /r | CMOVGE Gv,Ev | @CMOVCC
            0F 4E /r | CMOVLE Gv,Ev | @CMOVCC
            0F 4F /r | CMOVG Gv,Ev  | @CMOVCC
            0F 80 | JO Jz   | @JCC
            0F 81 | JNO Jz  | @JCC
            0F 82 | JB Jz   | @JCC
            0F 83 | JAE Jz  | @JCC
            0F 84 | JE Jz   | @JCC
            0F 85 | JNE Jz  | @JCC
            0F 86 | JBE Jz  | @JCC
            0F 87 | JA Jz   | @JCC
            0F 88 | JS Jz   | @JCC
            0F 89 | JNS Jz  | @JCC
            0F 8A | JP Jz   | @JCC
            0F 8B | JNP Jz  | @JCC
            0F 8C | JL Jz   | @JCC
            0F 8D | JGE Jz  | @JCC
            0F 8E | JLE Jz  | @JCC
            0F 8F | JG Jz   | @JCC
            0F 90 /r | SETO Eb  | @SETCC
            0F 91 /r | SETNO Eb | @SETCC
            0F 92 /r | SETB Eb  | @SETCC
            0F 93 /r | SETAE Eb | @SETCC
            0F 94 /r | SETE Eb  | @SETCC
            0F 95 /r | SETNE Eb | @SETCC
            0F 96 /r | SETBE Eb | @SETCC
            0F 97 /r | SETA Eb  | @SETCC
            0F 98 /r | SETS Eb  | @SETCC
            0F 99 /r | SETNS Eb | @SETCC
            0F 9A /r | SETP Eb  | @SETCC
            0F 9B /r | SETNP Eb | @SETCC
            0F 9C /r | SETL Eb  | @SETCC
            0F 9D /r | SETGE Eb | @SETCC
            0F 9E /r | SETLE Eb | @SETCC
            0F 9F /r | SETG Eb  | @SETCC
            0F A0 | PUSH FS  |
            0F A1 | POP FS   |
            0F A2 | CPUID    |
            0F A3 /r | BT Ev,Gv   |
            0F A4 /r | SHLD Ev,Gv,Ib |
            0F A5 /r | SHLD Ev,Gv,CL |
            0F A8 | PUSH GS  |
            0F A9 | POP GS   |
            0F AA | RSM      |
            0F AB /r | BTS Ev,Gv  | lock
            0F AC /r | SHRD Ev,Gv,Ib |
            0F AD /r | SHRD Ev,Gv,CL |
            0F AF /r | IMUL Gv,Ev | @IMUL2
            0F B0 /r | CMPXCHG Eb,Gb | lock
            0F B1 /r | CMPXCHG Ev,Gv | lock
            0F B2 /r | LSS Gv,Mp  | mem @LOAD_FAR
            0F B3 /r | BTR Ev,Gv  | lock
            0F B4 /r | LFS Gv,Mp  | mem @LOAD_FAR
            0F B5 /r | LGS Gv,Mp  | mem @LOAD_FAR
            0F B6 /r | MOVZX Gv,Eb |
            0F B7 /r | MOVZX Gv,Ew |
            0F B9 /r | UD1 Gv,Ev  |
            0F BA /4 | BT Ev,Ib   |
            0F BA /5 | BTS Ev,Ib  | lock
            0F BA /6 | BTR Ev,Ib  | lock
            0F BA /7 | BTC Ev,Ib  | lock
            0F BB /r | BTC Ev,Gv  | lock
            0F BC /r | BSF Gv,Ev  |
            0F BD /r | BSR Gv,Ev  |
            0F BE /r | MOVSX Gv,Eb |
            0F BF /r | MOVSX Gv,Ew |
            0F C0 /r | XADD Eb,Gb | lock
            0F C1 /r | XADD Ev,Gv | lock
            0F C7 /1 | CMPXCHG8B Mq | mem lock
            0F C8+r  | BSWAP Zv   |
            0F FF /r | UD0 Gv,Ev  |
            """;

    /** Rows of the floating-point state instructions (FXSAVE, FXRSTOR; FWAIT is in the one-byte map). */
    static final String FP_STATE = """
            0F AE /0 | FXSAVE M  | mem
            0F AE /1 | FXRSTOR M | mem
            """;

    private static final List<OpcodeEntry> ENTRIES = Collections.unmodifiableList(parse(
            INTEGER + FP_STATE + X87Table.ROWS + X87Table.TRANSCENDENTAL + SseFloatTable.ROWS + SimdIntTable.ROWS));

    /** Every row of the table, in table order. */
    public static List<OpcodeEntry> entries() {
        return ENTRIES;
    }

    static List<OpcodeEntry> parse(String text) {
        List<OpcodeEntry> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : text.split("\n")) {
            lineNo++;
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                parseRow(line, out);
            } catch (RuntimeException e) {
                throw new IllegalStateException("opcode table line " + lineNo + ": " + line + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static void parseRow(String line, List<OpcodeEntry> out) {
        String[] cols = line.split("\\|", -1);
        String[] enc = cols[0].trim().split("\\s+");
        String[] ins = cols[1].trim().split("\\s+", 2);
        String[] attrs = cols.length > 2 ? cols[2].trim().split("\\s+") : new String[0];

        int map = 0;
        int idx = 0;
        if (enc[idx].equals("0F")) {
            map = 1;
            idx++;
            if (enc[idx].equals("38") && enc.length > idx + 1) {
                map = 2;
                idx++;
            } else if (enc[idx].equals("3A") && enc.length > idx + 1) {
                map = 3;
                idx++;
            }
        }
        String op = enc[idx++];
        boolean plusR = op.endsWith("+r");
        int opcode = Integer.parseInt(plusR ? op.substring(0, op.length() - 2) : op, 16);
        int group = -1;
        int modrm = -1;
        int flags = 0;
        for (; idx < enc.length; idx++) {
            String t = enc[idx];
            if (t.equals("/r")) {
                flags |= OpcodeEntry.F_MODRM;
            } else if (t.matches("/[0-7]")) {
                group = t.charAt(1) - '0';
                flags |= OpcodeEntry.F_MODRM;
            } else {
                modrm = Integer.parseInt(t, 16);
                flags |= OpcodeEntry.F_MODRM;
            }
        }
        String mnemonic = ins[0];
        String key = mnemonic;
        List<OperandSpec> operands = new ArrayList<>();
        if (ins.length > 1) {
            for (String o : ins[1].split(",")) {
                OperandSpec spec = OperandSpec.parse(o.trim());
                operands.add(spec);
                if (spec.usesRm() || spec.usesReg()) {
                    flags |= OpcodeEntry.F_MODRM;
                }
            }
        }
        for (String a : attrs) {
            switch (a) {
                case "" -> { }
                case "lock" -> flags |= OpcodeEntry.F_LOCK;
                case "rep" -> flags |= OpcodeEntry.F_REP;
                case "mem" -> flags |= OpcodeEntry.F_MEM;
                case "reg" -> flags |= OpcodeEntry.F_REG;
                case "o16" -> flags |= OpcodeEntry.F_O16;
                case "o32" -> flags |= OpcodeEntry.F_O32;
                case "a16" -> flags |= OpcodeEntry.F_A16;
                case "a32" -> flags |= OpcodeEntry.F_A32;
                case "i64" -> flags |= OpcodeEntry.F_I64;
                case "o64" -> flags |= OpcodeEntry.F_O64;
                case "f3" -> flags |= OpcodeEntry.F_PF3;
                case "f2" -> flags |= OpcodeEntry.F_PF2;
                case "66" -> flags |= OpcodeEntry.F_P66;
                case "np" -> flags |= OpcodeEntry.F_NP;
                default -> {
                    if (!a.startsWith("@")) {
                        throw new IllegalArgumentException("unknown attribute " + a);
                    }
                    key = a.substring(1);
                }
            }
        }
        List<OperandSpec> ops = List.copyOf(operands);
        if (plusR) {
            for (int r = 0; r < 8; r++) {
                out.add(new OpcodeEntry(map, opcode + r, group, modrm, mnemonic, key, ops, flags));
            }
        } else {
            out.add(new OpcodeEntry(map, opcode, group, modrm, mnemonic, key, ops, flags));
        }
    }
}

/**
 * The vmm BIOS: real-mode stubs in a 64 KiB ROM, services in Java.
 *
 * <p><b>Entry.</b> {@link dev.vmm.firmware.bios.Bios#attach} maps the ROM at 0xF0000 (aliased at
 * 0xFFFF0000 for the reset fetch) and claims I/O port 0x0500. Every serviced vector's IVT entry
 * points at a stub at F000:8000h + 32 &times; vector that pushes DX and the vector number, writes
 * port 0x0500, pops both and IRETs. Java finds the vector and the caller's DX on the stack, and
 * all other registers live in the CPU.
 *
 * <p><b>Results.</b> CF and ZF are returned by editing the FLAGS image at SS:SP+8 (the frame the
 * stub's IRET pops); DX through its stack slot at SS:SP+2. A service that must wait (INT 16h
 * AH=00h/10h with an empty buffer, INT 15h AH=86h) sets the live ZF instead, and the stub runs
 * {@code sti; hlt; cli} and calls it again: waiting costs no host time and stays deterministic.
 *
 * <p><b>Boot.</b> Reset vector &rarr; POST stub (stack 0000:7C00) &rarr; POST in Java
 * ({@code Post}) &rarr; INT 19h, which tries the devices of the boot order: drive 80h (LBA 0 at
 * 0000:7C00 if it ends in 55AAh, entered with DL = 80h) and the CD, drive E0h (its El Torito
 * no-emulation image at its load segment, entered at segment:0000 with DL = E0h; see
 * {@code ElTorito}). The IRET frame is rewritten to enter the image with IF = 1. If nothing boots
 * it prints a message, stops the PIT and returns into a {@code cli; hlt} loop: the board reports
 * HALTED.
 *
 * <p><b>Video option ROM.</b> {@code VgaBios} packages the same INT 10h as the option ROM of the
 * board's PCI VGA card, for an external BIOS ({@code vmm run --bios}); its stubs use port 0x0501.
 *
 * <p><b>Tables.</b> RSDP in the ROM at 0xF0000, MP floating pointer and table at 0xF1000, the
 * other ACPI tables in the top 16 KiB of RAM (copied by POST; E820 marks them NVS/ACPI). Base
 * memory at 0x413 is 639 KiB because the 1 KiB EBDA sits at 0x9FC00.
 */
package dev.vmm.firmware.bios;

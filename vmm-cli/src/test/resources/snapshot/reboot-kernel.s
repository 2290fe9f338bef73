# The reboot-counting kernel of SnapshotCommandTest (reboot-kernel.bin, the protected-mode part of a
# bzImage made by RunCommandTest.bzImage). Built with GNU binutils:
#   as --32 -o k.o reboot-kernel.s && ld -m elf_i386 -Ttext 0x100000 --oformat binary -o reboot-kernel.bin k.o
# Reads byte 0 of the disk's LBA 0 (the boot count n), prints "K<n><command line>\n" on port 0xE9; at n = 2
# exits through port 0xF4 with n, else writes n + 1 back and resets the machine through the i8042 (0xFE).
.intel_syntax noprefix
.code32
.globl _start
_start:
  mov ebp, esi
  mov ecx, 20000          # some work first, so a save can fall before the disk I/O
spin: loop spin
  mov al, 0x20            # READ SECTORS
  call ata
  mov edi, 0x200000
  mov ecx, 256
  mov dx, 0x1F0
  rep insw
  movzx ebx, byte ptr [0x200000]
  mov al, 'K'
  out 0xE9, al
  lea eax, [ebx + '0']
  out 0xE9, al
  mov edx, [ebp + 0x228]  # cmd_line_ptr
cmd: mov al, [edx]
  test al, al
  jz cmdend
  out 0xE9, al
  inc edx
  jmp cmd
cmdend:
  mov al, '\n'
  out 0xE9, al
  cmp bl, 2
  je finish
  inc byte ptr [0x200000]
  mov al, 0x30            # WRITE SECTORS
  call ata
  mov esi, 0x200000
  mov ecx, 256
  mov dx, 0x1F0
  rep outsw
  mov dx, 0x1F7
busy: in al, dx
  test al, 0x80
  jnz busy
  mov ecx, 20000
spin2: loop spin2
  mov al, 0xFE            # pulse the reset line through the i8042
  out 0x64, al
  hlt
finish:
  mov al, bl
  out 0xF4, al
  hlt
# ATA command AL on LBA 0, one sector, master of the primary channel; returns when DRQ is set.
ata:
  mov ah, al
  mov dx, 0x1F6
  mov al, 0xE0
  out dx, al
  mov dx, 0x1F2
  mov al, 1
  out dx, al
  xor al, al
  inc dx
  out dx, al
  inc dx
  out dx, al
  inc dx
  out dx, al
  mov dx, 0x1F7
  mov al, ah
  out dx, al
drq: in al, dx
  test al, 0x08
  jz drq
  ret

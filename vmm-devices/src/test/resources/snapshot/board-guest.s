# The board round-trip guest of BoardSnapshotTest (board-guest.bin). Built with GNU binutils:
#   as --32 -o g.o board-guest.s && ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o board-guest.bin g.o
# Real mode at 0000:7C00: PIT ticks on IRQ0; each tick adds 1.0 on the x87 stack, prints a TSC-derived
# letter and a disk byte on COM1, reads one sector and writes another by ATA PIO; tick 60 exits via port 0xF4.
.intel_syntax noprefix
.code16
.globl _start
_start:
  cli
  xor ax,ax
  mov ds,ax
  mov es,ax
  mov ss,ax
  mov sp,0x7000
  mov word ptr [0x20], offset handler
  mov word ptr [0x22], 0
  mov al,0x11
  out 0x20,al
  mov al,0x08
  out 0x21,al
  mov al,0x04
  out 0x21,al
  mov al,0x01
  out 0x21,al
  mov al,0xFE
  out 0x21,al
  mov al,0x34
  out 0x43,al
  mov al,0xA9
  out 0x40,al
  mov al,0x04
  out 0x40,al
  fninit
  fld1
  sti
idle:
  hlt
  jmp idle
handler:
  push ax
  push cx
  push dx
  push di
  push si
  inc word ptr [0x600]
  fld1
  faddp st(1), st
  fist word ptr [0x602]
  rdtsc
  and al,15
  add al,'A'
  mov dx,0x3f8
  out dx,al
  mov dx,0x1F6
  mov al,0xE0
  out dx,al
  mov dx,0x1F2
  mov al,1
  out dx,al
  mov dx,0x1F3
  mov al,[0x600]
  and al,7
  add al,14
  out dx,al
  mov dx,0x1F4
  xor al,al
  out dx,al
  mov dx,0x1F5
  out dx,al
  mov dx,0x1F7
  mov al,0x20
  out dx,al
wait1:
  in al,dx
  test al,0x80
  jnz wait1
  test al,0x08
  jz wait1
  mov dx,0x1F0
  mov di,0x8000
  mov cx,256
  cld
  rep insw
  mov al,[0x8000]
  mov dx,0x3f8
  out dx,al
  mov ax,[0x600]
  add al,'0'
  mov [0x8000],ax
  mov dx,0x1F6
  mov al,0xE0
  out dx,al
  mov dx,0x1F2
  mov al,1
  out dx,al
  mov dx,0x1F3
  mov al,[0x600]
  and al,3
  add al,16
  out dx,al
  mov dx,0x1F4
  xor al,al
  out dx,al
  mov dx,0x1F5
  out dx,al
  mov dx,0x1F7
  mov al,0x30
  out dx,al
wait2:
  in al,dx
  test al,0x80
  jnz wait2
  test al,0x08
  jz wait2
  mov dx,0x1F0
  mov si,0x8000
  mov cx,256
  rep outsw
  mov dx,0x1F7
wait3:
  in al,dx
  test al,0x80
  jnz wait3
  cmp word ptr [0x600], 60
  jne done
  mov al,0x10
  out 0xf4,al
done:
  mov al,0x20
  out 0x20,al
  pop si
  pop di
  pop dx
  pop cx
  pop ax
  iret

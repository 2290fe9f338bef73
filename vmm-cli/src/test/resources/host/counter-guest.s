# The counting guest of the host's suspend and save tests (counter-guest.bin). Built with GNU binutils:
#   as --32 -o g.o counter-guest.s && ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o counter-guest.bin g.o
# A boot sector (real mode at 0000:7C00). The PIT ticks at 100 Hz on IRQ0; every tick reads disk sector 1
# (ATA PIO), prints 'X' on COM1 if its first word is not the count the guest last wrote there, adds 1 to
# the count (a word at 0x600), writes it to sector 1, and prints the count in decimal and a newline.
# So its output is 1, 2, 3, ... one number a line, as long as RAM and disk stay together.
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
  mov word ptr [0x600], 0
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
  mov al,0x9C
  out 0x40,al
  mov al,0x2E
  out 0x40,al
  sti
idle:
  hlt
  jmp idle
handler:
  pusha
  mov bl,0x20
  call ata
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
  mov ax,[0x8000]
  cmp ax,[0x600]
  je same
  mov dx,0x3f8
  mov al,'X'
  out dx,al
same:
  inc word ptr [0x600]
  mov ax,[0x600]
  mov [0x8000],ax
  mov bl,0x30
  call ata
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
  mov ax,[0x600]
  mov bx,10
  xor cx,cx
digits:
  xor dx,dx
  div bx
  push dx
  inc cx
  test ax,ax
  jnz digits
  mov dx,0x3f8
print:
  pop ax
  add al,'0'
  out dx,al
  loop print
  mov al,'\n'
  out dx,al
  mov al,0x20
  out 0x20,al
  popa
  iret
# issues ATA command BL for one sector at LBA 1 of the primary master; returns with DX = the status port
ata:
  mov dx,0x1F6
  mov al,0xE0
  out dx,al
  mov dx,0x1F2
  mov al,1
  out dx,al
  mov dx,0x1F3
  out dx,al
  mov dx,0x1F4
  xor al,al
  out dx,al
  mov dx,0x1F5
  out dx,al
  mov dx,0x1F7
  mov al,bl
  out dx,al
  ret

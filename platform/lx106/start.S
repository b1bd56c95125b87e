/* Entry for qemu-system-xtensa -M sim -cpu lx106: the machine starts at the first byte of RAM
   (0x50000000) whatever the ELF entry says, and l32r literals must sit before the code using
   them, so the first instruction jumps over the literal pool to _start. */
  .section .entry.jump, "ax"
  j _start

  .section .text._start, "ax"
  .global _start
  .align 4
_start:
  movi a0, 0
  movi a1, __stack_top
  call0 otakit_mcu_start
1:
  j 1b

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /init of the xen suite's tiny guest (the dom0 kernel plus an initramfs of
 * this one static binary, x86-64): says hello on its console, then waits for
 * ever, so that the guest stays running while dom0 checks where its memory
 * is. No libc: under QEMU's software emulation, one guest of six died in
 * glibc's start-up reading thread-local storage (its FS base lost, it
 * seems); raw system calls read none. Build with -nostdlib
 * -fno-stack-protector (the stack canary is thread-local too). */

static long
guest_syscall (long number, long a, long b, long c)
{
  long ret;

  __asm__ volatile ("syscall"
                    : "=a" (ret)
                    : "a" (number), "D" (a), "S" (b), "d" (c)
                    : "rcx", "r11", "memory");
  return ret;
}

void _start (void);

void
_start (void)
{
  static const char hello[] = "XADMIT_GUEST_HELLO\n";

  guest_syscall (1 /* write */, 1, (long) hello, sizeof hello - 1);
  for (;;)
    guest_syscall (34 /* pause */, 0, 0, 0);
}

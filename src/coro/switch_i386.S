/* cx__ctx_switch(from, to) for i386 System V (cdecl: both arguments on the
 * stack): callee-saved ebp, ebx, esi, edi on the current stack; esp and a
 * resume address into *from; then a jump (not a `ret`) to *to's resume
 * address on its stack.  The x87 control word and MXCSR are the thread's and
 * are not switched (coro.h).
 *   struct ctx { void *sp; void *pc; }   (offsets 0 and 4)
 * Position-independent throughout: addresses of code are taken relative to
 * the program counter (call/pop), never as absolute relocations. */
#include "switch_asm.h"

    .text
CX_FUNC_DECL(cx__ctx_switch)
cx__ctx_switch:
    .cfi_startproc
    movl 4(%esp), %eax
    movl 8(%esp), %edx
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl %esp, (%eax)
    call 0f
0:
    popl %ecx
    leal (1f - 0b)(%ecx), %ecx
    movl %ecx, 4(%eax)
    movl (%edx), %esp
    jmp *4(%edx)
1:
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret
    .cfi_endproc
CX_END(cx__ctx_switch)

/* First entry of a new coroutine.  coro.c's prepare() leaves the stack
 * pointer 16-byte aligned with the coroutine pointer at it; the call below
 * is made with esp 16-byte aligned, as the i386 psABI (Linux) requires. */
CX_FUNC_DECL(cx__ctx_boot)
cx__ctx_boot:
    .cfi_startproc
    .cfi_undefined eip
    movl (%esp), %eax
    xorl %ebp, %ebp
    subl $12, %esp
    pushl %eax
    call cx__coro_start
    ud2
    .cfi_endproc
CX_END(cx__ctx_boot)

/* The generators' gate: see switch_x86_64.S.  cx__gen_gate_b/p(a, b, c, fn)
 * call fn(a, b, c) from the one call site below and go back to their caller
 * by an indirect jump.  The three arguments are pushed again for fn (it may
 * write to its argument slots); with the return address that is 16 bytes,
 * so fn is called with the alignment the caller had.  The named entries
 * come in with fn in ecx and their own one or two arguments: the third slot
 * read is then the caller's stack, passed along and never used. */
CX_FUNC_DECL(cx__gen_gate_b)
CX_FUNC_DECL(cx__gen_gate_p)
cx__gen_gate_b:
cx__gen_gate_p:
    .cfi_startproc
    movl 16(%esp), %ecx
.Lgate_ecx:
    pushl 12(%esp)
    .cfi_adjust_cfa_offset 4
    pushl 12(%esp)
    .cfi_adjust_cfa_offset 4
    pushl 12(%esp)
    .cfi_adjust_cfa_offset 4
    call *%ecx
    addl $12, %esp
    .cfi_adjust_cfa_offset -12
    popl %ecx
    .cfi_adjust_cfa_offset -4
    .cfi_register eip, ecx
    jmp *%ecx
    .cfi_endproc
CX_END(cx__gen_gate_b)
CX_END(cx__gen_gate_p)

/* A generator manager's enter and exit: named entries into the gate, each
 * with its target (see switch_x86_64.S). */
CX_FUNC_DECL(cx__gen_cm_enter)
cx__gen_cm_enter:
    .cfi_startproc
    call 0f
0:
    popl %ecx
    leal (cx__gen_cm_enter_gated - 0b)(%ecx), %ecx
    jmp .Lgate_ecx
    .cfi_endproc
CX_END(cx__gen_cm_enter)

CX_FUNC_DECL(cx__gen_cm_exit)
cx__gen_cm_exit:
    .cfi_startproc
    call 0f
0:
    popl %ecx
    leal (cx__gen_cm_exit_gated - 0b)(%ecx), %ecx
    jmp .Lgate_ecx
    .cfi_endproc
CX_END(cx__gen_cm_exit)

CX_STACK_NOTE

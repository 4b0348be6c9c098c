/* cx__ctx_switch(from, to) for AAPCS64: callee-saved x19-x29, lr, d8-d15
 * on the current stack; sp and a resume address into *from; then a branch
 * (not a return) to *to's resume address.
 *   struct ctx { void *sp; void *pc; } */
#include "switch_asm.h"

    .text
CX_FUNC_DECL(cx__ctx_switch)
cx__ctx_switch:
    sub sp, sp, #176
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mov x9, sp
    str x9, [x0]
    adr x10, 1f
    str x10, [x0, #8]
    ldr x9, [x1]
    mov sp, x9
    ldr x10, [x1, #8]
    br x10
1:
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    add sp, sp, #176
    ret
CX_END(cx__ctx_switch)

/* First entry of a new coroutine: its stack holds the coroutine pointer. */
CX_FUNC_DECL(cx__ctx_boot)
cx__ctx_boot:
    ldr x0, [sp]
    mov x29, #0
    mov x30, #0
    bl cx__coro_start
    brk #0
CX_END(cx__ctx_boot)

/* The generators' gate: see switch_x86_64.S.  fn(a, b, c) is called from
 * this one site; the way back to the caller is `br`, not `ret`, so the
 * return stack is not consulted for it. */
CX_FUNC_DECL(cx__gen_gate_b)
CX_FUNC_DECL(cx__gen_gate_p)
cx__gen_gate_b:
cx__gen_gate_p:
    .cfi_startproc
    stp x29, x30, [sp, #-16]!
    .cfi_def_cfa_offset 16
    .cfi_offset 29, -16
    .cfi_offset 30, -8
    mov x29, sp
    blr x3
    ldp x29, x30, [sp], #16
    .cfi_def_cfa_offset 0
    .cfi_restore 29
    .cfi_restore 30
    br x30
    .cfi_endproc
CX_END(cx__gen_gate_b)
CX_END(cx__gen_gate_p)

/* Named entries into the gate with a fixed target: see switch_x86_64.S. */
.macro CX_GATE name, target
    CX_FUNC_DECL(\name)
\name:
    .cfi_startproc
    adrp x3, \target
    add x3, x3, :lo12:\target
    b cx__gen_gate_p
    .cfi_endproc
    CX_END(\name)
.endm

    CX_GATE cx__gen_cm_enter, cx__gen_cm_enter_gated
    CX_GATE cx__gen_cm_exit, cx__gen_cm_exit_gated

CX_STACK_NOTE

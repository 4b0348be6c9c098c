/* cx__ctx_switch(from, to) for 32-bit ARM, AAPCS with VFP (armhf; ARMv7):
 * callee-saved r4-r11, lr and d8-d15 on the current stack; sp and a resume
 * address into *from; then a branch (not a return) to *to's resume address.
 * The FPSCR is the thread's and is not switched (coro.h).
 *   struct ctx { void *sp; void *pc; }   (offsets 0 and 4)
 * Assembled as ARM code; every indirect branch is `bx`, so a resume address
 * or entry may be ARM or Thumb (the C code around is usually Thumb-2). */
#include "switch_asm.h"

    .syntax unified
    .arm
    .fpu vfpv3-d16
    .text
    .p2align 2

/* r12 is pushed with r4-r11 and lr only to keep the stack 8-byte aligned
 * (AAPCS) across the ten words. */
CX_FUNC_DECL(cx__ctx_switch)
cx__ctx_switch:
    push {r4-r12, lr}
    vpush {d8-d15}
    str sp, [r0]
    adr r2, 1f
    str r2, [r0, #4]
    ldr sp, [r1]
    ldr r2, [r1, #4]
    bx r2
1:
    vpop {d8-d15}
    pop {r4-r12, lr}
    bx lr
CX_END(cx__ctx_switch)

/* First entry of a new coroutine: its stack (8-byte aligned or better)
 * holds the coroutine pointer.  No frame or return address above it. */
CX_FUNC_DECL(cx__ctx_boot)
cx__ctx_boot:
    ldr r0, [sp]
    mov r11, #0
    mov lr, #0
    bl cx__coro_start
    udf #0
CX_END(cx__ctx_boot)

/* The generators' gate: see switch_x86_64.S.  fn(a, b, c) is called from
 * this one site, with r4 pushed beside lr for the stack's 8-byte alignment;
 * the way back to the caller is `bx ip`, not a return (`bx lr`, `pop {pc}`),
 * so the return stack is not consulted for it. */
CX_FUNC_DECL(cx__gen_gate_b)
CX_FUNC_DECL(cx__gen_gate_p)
cx__gen_gate_b:
cx__gen_gate_p:
    push {r4, lr}
    blx r3
    pop {r4, ip}
    bx ip
CX_END(cx__gen_gate_b)
CX_END(cx__gen_gate_p)

/* Named entries into the gate with a fixed target (see switch_x86_64.S).
 * The target's address is taken relative to the program counter (reading
 * pc gives the instruction's address + 8); an R_ARM_REL32 to a Thumb
 * function carries its Thumb bit, which `blx r3` honours. */
CX_FUNC_DECL(cx__gen_cm_enter)
cx__gen_cm_enter:
    ldr r3, 1f
0:
    add r3, pc, r3
    b cx__gen_gate_p
1:
    .word cx__gen_cm_enter_gated - (0b + 8)
CX_END(cx__gen_cm_enter)

CX_FUNC_DECL(cx__gen_cm_exit)
cx__gen_cm_exit:
    ldr r3, 1f
0:
    add r3, pc, r3
    b cx__gen_gate_p
1:
    .word cx__gen_cm_exit_gated - (0b + 8)
CX_END(cx__gen_cm_exit)

CX_STACK_NOTE

/* cx__ctx_switch(from, to) for RV64 (LP64D; LP64 without the D extension's
 * registers): callee-saved ra, s0-s11 and fs0-fs11 on the current stack; sp
 * and a resume address into *from; then a jump (not a return) to *to's
 * resume address.  The fcsr (rounding mode, flags) is the thread's and is
 * not switched (coro.h).
 *   struct ctx { void *sp; void *pc; }   (offsets 0 and 8)
 * Indirect jumps that are not returns go through t1: a `jr` through ra or t0
 * is a return by the ISA's hint convention, and would pop the return-address
 * stack. */
#include "switch_asm.h"

#if defined(__riscv_flen) && __riscv_flen >= 64
#define CX__FSAVE(r, off) fsd r, off(sp)
#define CX__FLOAD(r, off) fld r, off(sp)
#else
#define CX__FSAVE(r, off)
#define CX__FLOAD(r, off)
#endif

    .text
    .p2align 2

/* 13 integer and 12 FP registers, 200 bytes, in a 208-byte frame: sp stays
 * 16-byte aligned (psABI). */
CX_FUNC_DECL(cx__ctx_switch)
cx__ctx_switch:
    .cfi_startproc
    addi sp, sp, -208
    sd ra, 0(sp)
    sd s0, 8(sp)
    sd s1, 16(sp)
    sd s2, 24(sp)
    sd s3, 32(sp)
    sd s4, 40(sp)
    sd s5, 48(sp)
    sd s6, 56(sp)
    sd s7, 64(sp)
    sd s8, 72(sp)
    sd s9, 80(sp)
    sd s10, 88(sp)
    sd s11, 96(sp)
    CX__FSAVE(fs0, 104)
    CX__FSAVE(fs1, 112)
    CX__FSAVE(fs2, 120)
    CX__FSAVE(fs3, 128)
    CX__FSAVE(fs4, 136)
    CX__FSAVE(fs5, 144)
    CX__FSAVE(fs6, 152)
    CX__FSAVE(fs7, 160)
    CX__FSAVE(fs8, 168)
    CX__FSAVE(fs9, 176)
    CX__FSAVE(fs10, 184)
    CX__FSAVE(fs11, 192)
    sd sp, 0(a0)
    lla t1, 1f
    sd t1, 8(a0)
    ld sp, 0(a1)
    ld t1, 8(a1)
    jr t1
1:
    ld ra, 0(sp)
    ld s0, 8(sp)
    ld s1, 16(sp)
    ld s2, 24(sp)
    ld s3, 32(sp)
    ld s4, 40(sp)
    ld s5, 48(sp)
    ld s6, 56(sp)
    ld s7, 64(sp)
    ld s8, 72(sp)
    ld s9, 80(sp)
    ld s10, 88(sp)
    ld s11, 96(sp)
    CX__FLOAD(fs0, 104)
    CX__FLOAD(fs1, 112)
    CX__FLOAD(fs2, 120)
    CX__FLOAD(fs3, 128)
    CX__FLOAD(fs4, 136)
    CX__FLOAD(fs5, 144)
    CX__FLOAD(fs6, 152)
    CX__FLOAD(fs7, 160)
    CX__FLOAD(fs8, 168)
    CX__FLOAD(fs9, 176)
    CX__FLOAD(fs10, 184)
    CX__FLOAD(fs11, 192)
    addi sp, sp, 208
    ret
    .cfi_endproc
CX_END(cx__ctx_switch)

/* First entry of a new coroutine: its stack (16-byte aligned) holds the
 * coroutine pointer.  No frame or return address above it. */
CX_FUNC_DECL(cx__ctx_boot)
cx__ctx_boot:
    .cfi_startproc
    .cfi_undefined ra
    ld a0, 0(sp)
    li s0, 0
    li ra, 0
    call cx__coro_start
    unimp
    .cfi_endproc
CX_END(cx__ctx_boot)

/* The generators' gate: see switch_x86_64.S.  fn(a, b, c), in a3, is called
 * from this one site; the way back to the caller is `jr t1`, not `ret`. */
CX_FUNC_DECL(cx__gen_gate_b)
CX_FUNC_DECL(cx__gen_gate_p)
cx__gen_gate_b:
cx__gen_gate_p:
    .cfi_startproc
    addi sp, sp, -16
    .cfi_adjust_cfa_offset 16
    sd ra, 8(sp)
    .cfi_offset ra, -8
    jalr a3
    ld t1, 8(sp)
    .cfi_register ra, t1
    addi sp, sp, 16
    .cfi_adjust_cfa_offset -16
    jr t1
    .cfi_endproc
CX_END(cx__gen_gate_b)
CX_END(cx__gen_gate_p)

/* Named entries into the gate with a fixed target (see switch_x86_64.S). */
CX_FUNC_DECL(cx__gen_cm_enter)
cx__gen_cm_enter:
    .cfi_startproc
    lla a3, cx__gen_cm_enter_gated
    j cx__gen_gate_p
    .cfi_endproc
CX_END(cx__gen_cm_enter)

CX_FUNC_DECL(cx__gen_cm_exit)
cx__gen_cm_exit:
    .cfi_startproc
    lla a3, cx__gen_cm_exit_gated
    j cx__gen_gate_p
    .cfi_endproc
CX_END(cx__gen_cm_exit)

CX_STACK_NOTE

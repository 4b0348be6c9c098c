/* cx__ctx_switch(from, to): saves the callee-saved registers on the current
 * stack, records the stack pointer and a resume address in *from, and jumps
 * to *to's resume address on its stack.  Resuming is a jump, not a `ret`
 * into the other stack, so the return predictor is not confused by it.
 * The FP control words (MXCSR, x87 control word) are the thread's and are
 * not switched: see coro.h.
 *   struct ctx { void *sp; void *pc; } */
#include "switch_asm.h"

    .text
CX_FUNC_DECL(cx__ctx_switch)
cx__ctx_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    leaq 1f(%rip), %rax
    movq %rax, 8(%rdi)
    movq (%rsi), %rsp
    jmpq *8(%rsi)
1:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
CX_END(cx__ctx_switch)

/* First entry of a new coroutine: its stack holds the coroutine pointer. */
CX_FUNC_DECL(cx__ctx_boot)
cx__ctx_boot:
    .cfi_startproc
    .cfi_undefined rip
    movq (%rsp), %rdi
    xorl %ebp, %ebp
    call cx__coro_start
    ud2
    .cfi_endproc
CX_END(cx__ctx_boot)

/* A generator manager's enter and exit are named entries into the gate
 * below, each with its target: no C trampoline filling the unused
 * arguments.  They must share the gate's one call site: the return after
 * each switch must land where the return predictor expects
 * (docs/benchmarks.md, "generator_cm").  The exit runs on into
 * the gate: one taken jump less.  (cx_yield and cx_gen_next, exported, stay
 * C functions: the ABI check reads their types from the debug
 * information.) */
CX_FUNC_DECL(cx__gen_cm_enter)
cx__gen_cm_enter:
    .cfi_startproc
    leaq cx__gen_cm_enter_gated(%rip), %rcx
    jmp cx__gen_gate_p
    .cfi_endproc
CX_END(cx__gen_cm_enter)

CX_FUNC_DECL(cx__gen_cm_exit)
cx__gen_cm_exit:
    .cfi_startproc
    leaq cx__gen_cm_exit_gated(%rip), %rcx
    .cfi_endproc
CX_END(cx__gen_cm_exit)

/* The generators' gate (gen.c): cx__gen_gate(a, b, c, fn) calls fn(a, b, c)
 * from this one call site and returns what it returns, by an indirect jump
 * to its caller instead of `ret`.  A function that switches stacks inside
 * (resume, cx_yield) returns to a caller whose call was made before the
 * switch, while the other side's calls filled the return predictor: a `ret`
 * there is mispredicted on every transfer.  Through the gate, fn returns to
 * the same address on both sides (predicted), and the jump back is
 * predicted by the branch target buffer.  The caller's call is left on the
 * return predictor, which wraps around; a later `ret` of that caller may
 * miss once.  Two names, one routine: for the C declarations' return types. */
CX_FUNC_DECL(cx__gen_gate_b)
CX_FUNC_DECL(cx__gen_gate_p)
cx__gen_gate_b:
cx__gen_gate_p:
    .cfi_startproc
    subq $8, %rsp
    .cfi_adjust_cfa_offset 8
    call *%rcx
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
    popq %rcx
    .cfi_adjust_cfa_offset -8
    .cfi_register rip, rcx
    jmpq *%rcx
    .cfi_endproc
CX_END(cx__gen_gate_b)
CX_END(cx__gen_gate_p)

CX_STACK_NOTE

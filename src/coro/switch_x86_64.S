/* cx__ctx_switch(from, to): saves the callee-saved registers on the current
 * stack, records the stack pointer and a resume address in *from, and jumps
 * to *to's resume address on its stack.  Resuming is a jump, not a `ret`
 * into the other stack, so the return predictor is not confused by it.
 *   struct ctx { void *sp; void *pc; } */
    .text
    .globl cx__ctx_switch
    .hidden cx__ctx_switch
    .type cx__ctx_switch, @function
cx__ctx_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    leaq 1f(%rip), %rax
    movq %rax, 8(%rdi)
    movq (%rsi), %rsp
    jmpq *8(%rsi)
1:
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size cx__ctx_switch, .-cx__ctx_switch

/* First entry of a new coroutine: its stack holds the coroutine pointer. */
    .globl cx__ctx_boot
    .hidden cx__ctx_boot
    .type cx__ctx_boot, @function
cx__ctx_boot:
    .cfi_startproc
    .cfi_undefined rip
    movq (%rsp), %rdi
    xorl %ebp, %ebp
    call cx__coro_start
    ud2
    .cfi_endproc
    .size cx__ctx_boot, .-cx__ctx_boot

    .section .note.GNU-stack,"",@progbits

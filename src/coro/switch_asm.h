/* Directives shared by the switch_*.S files, for the assembler only.
 *
 * Symbol types and sizes, hidden visibility and the non-executable stack
 * note are ELF's: each is emitted on ELF targets only, so the same sources
 * assemble for Mach-O and COFF too (the rest of those ports, such as
 * Mach-O's leading underscore, is still to be done).  Every routine is
 *   CX_FUNC_DECL(name)   global, hidden, typed as a function (ELF)
 *   name:
 *   ...
 *   CX_END(name)         its size (ELF)
 * and every file ends with CX_STACK_NOTE. */
#ifndef CX_SWITCH_ASM_H
#define CX_SWITCH_ASM_H

#if defined(__ELF__)
/* '@' starts a comment in ARM assembly, so ARM spells the type with '%'. */
#if defined(__arm__) || defined(__aarch64__)
#define CX__ASM_TYPE_FUNCTION %function
#define CX__ASM_PROGBITS %progbits
#else
#define CX__ASM_TYPE_FUNCTION @function
#define CX__ASM_PROGBITS @progbits
#endif
#define CX_HIDDEN(name) .hidden name
#define CX_TYPE(name) .type name, CX__ASM_TYPE_FUNCTION
#define CX_END(name) .size name, .-name
#define CX_STACK_NOTE .section .note.GNU-stack, "", CX__ASM_PROGBITS
#else
#define CX_HIDDEN(name)
#define CX_TYPE(name)
#define CX_END(name)
#define CX_STACK_NOTE
#endif

/* Several statements on one line: ';' separates them in the GNU and LLVM
 * assemblers for every CPU here. */
#define CX_FUNC_DECL(name) .globl name; CX_HIDDEN(name); CX_TYPE(name)

#endif

/* The tour's examples: one function per guide example. */
#ifndef CX_EXAMPLES_H
#define CX_EXAMPLES_H

#include <stdio.h>

#include <cx/cx.h>

#include "file_manager.h"

void example_with_statement(void);
void example_class_based(void);
void example_error_handler(void);
void example_nested(void);
void example_performance(void);
void example_protocol(void);
void example_contextlib(void);
void example_temporary_directory(void);
void example_error_handler_generator(void);
void example_timer(void);
void example_decorator(void);
void example_reusable(void);

#endif

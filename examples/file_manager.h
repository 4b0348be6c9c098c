/* A class-based manager written the way users write their own: a
 * cx_manager_type (Python's __enter__/__exit__) plus state held by value. */
#ifndef CX_EXAMPLE_FILE_MANAGER_H
#define CX_EXAMPLE_FILE_MANAGER_H

#include <pthread.h>
#include <stdio.h>

#include <cx/cx.h>

/* Opens path with fopen(mode) on enter and binds the FILE *; closes it on
 * exit whatever happened, and a failing fclose raises OSError. */
cx_manager file_manager(const char *path, const char *mode);

/* /dev/null opened for writing, closed on exit, silently. */
cx_manager devnull_manager(void);

/* Holds a pthread mutex for the block. */
cx_manager mutex_manager(pthread_mutex_t *m);

/* Removes a directory tree (the tour's own helper; cx_tempdir does this
 * without following links). */
void remove_tree(const char *path);

/* The tour's scratch directory (created on first use, removed at exit). */
const char *tour_dir(void);
/* tour_dir()/name in a static buffer (one of four, used in turn). */
const char *tour_path(const char *name);

#endif

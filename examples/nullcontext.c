/* The contextlib Module / `contextlib.nullcontext()`: a lock, or a manager
 * that does nothing; either way the same code, under one cx_using. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>

#include "examples.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Upper-cases `n` one-letter items into result; locks if use_lock. */
static void process_data(const char *data, int n, char *result, bool use_lock)
{
    cx_using (use_lock ? cx_lock(&lock) : cx_nullcontext(NULL));
    /* Process data (with or without locking) */
    bool held = pthread_mutex_trylock(&lock) == EBUSY;
    if (!held)
        pthread_mutex_unlock(&lock);
    printf("  Processing %d items (lock held: %s)\n", n, held ? "yes" : "no");
    for (int i = 0; i < n; i++)
        result[i] = (char)toupper((unsigned char)data[i]);
    result[n] = '\0';
}

void example_nullcontext(void)
{
    char result1[4], result2[4];
    process_data("abc", 3, result1, true);  /* With lock */
    process_data("xyz", 3, result2, false); /* Without lock */
    printf("  result1 = %s, result2 = %s\n", result1, result2);
}

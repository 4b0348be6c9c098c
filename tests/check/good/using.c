/* cx-check known-good: cx_using, a declaration with no jump buffer.  Its
 * locals need no volatile, and break and continue reach the loop.  Checked
 * where the headers have cx_using. */
#include <pthread.h>
#include <stdio.h>

#include <cx/cx.h>

int work(int i);

#ifdef cx_using
long sizes(const char *const *paths, int n, pthread_mutex_t *m)
{
    long total = 0;
    cx_using (cx_lock(m));
    for (int i = 0; i < n; i++) {
        cx_using (FILE *f, cx_open(paths[i], "r"));
        if (fgetc(f) == '#')
            continue;
        if (fgetc(f) == EOF)
            break;
        fseek(f, 0, SEEK_END);
        total += ftell(f);
    }
    return total;
}

int using_in_a_try(const char *path)
{
    cx_try {
        cx_using (FILE *f, cx_open(path, "r"));
        return fgetc(f);
    } cx_except (&cx_OSError, e) {
        (void)e;
    }
    return -1;
}

void defer_in_a_loop(int n)
{
    while (n-- > 0) {
        cx_using (cx_nullcontext(NULL));
        if (work(n))
            break;
    }
}
#endif

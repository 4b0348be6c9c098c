/* Best Practices and Patterns / 4. Make Context Managers Descriptive: the
 * guide's timed_operation(name), and the library's cx_timed.  The timed
 * work is a cx_with block, as in the guide; the files it uses are declared
 * with cx_using. */
#include <stdint.h>

#include "examples.h"

static void timed_operation_body(cx_gen *g, void *operation_name)
{
    double start_time = now_s();
    printf("  Starting %s\n", (const char *)operation_name);
    cx_try {
        cx_yield(g, NULL);
    } cx_finally {
        printf("  %s completed in %.2fs\n", (const char *)operation_name,
               now_s() - start_time);
    }
}

static cx_manager timed_operation(const char *operation_name)
{
    return cx_contextmanager(timed_operation_body, (void *)operation_name);
}

/* Replaces schema.txt with version 2, atomically. */
static void migrate_database(void)
{
    write_text("schema.txt", "version 1\n");
    cx_using (FILE *f, cx_atomic_write("schema.txt", "w"));
    fputs("version 2\nusers(id, name, email)\n", f);
}

/* Writes 8 MiB and reads it back with a checksum. */
static void process_large_file(void)
{
    enum { SIZE = 8 << 20 };
    unsigned char *block = cx_malloc(SIZE);
    cx_defer(cx_free, block);
    for (size_t i = 0; i < SIZE; i++)
        block[i] = (unsigned char)(i * 31);
    {
        cx_using (FILE *f, cx_open("large.bin", "wb"));
        fwrite(block, 1, SIZE, f);
    }
    uint32_t sum = 0;
    {
        cx_using (FILE *f, cx_open("large.bin", "rb"));
        for (size_t n; (n = fread(block, 1, SIZE, f)) > 0;)
            for (size_t i = 0; i < n; i++)
                sum = sum * 33 + block[i];
    }
    printf("  large.bin checksum %08x\n", (unsigned)sum);
}

void example_timed_operation(void)
{
    /* Usage is self-documenting */
    cx_with (timed_operation("Database migration"))
        migrate_database();

    cx_with (timed_operation("File processing"))
        process_large_file();

    /* The library's version prints one line to the stream given. */
    cx_with (cx_timed("  File processing (cx_timed)", NULL, stdout))
        process_large_file();
}

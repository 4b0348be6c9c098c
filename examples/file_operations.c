/* Built-in Context Managers / File Operations: reading, writing and binary
 * files with cx_open under cx_using, which closes the FILE when its block is
 * left, however it is left. */
#include "examples.h"

void example_file_operations(void)
{
    write_text("input.txt", "Hello from input.txt\n");

    /* Reading files */
    {
        cx_using (FILE *file, cx_open("input.txt", "r"));
        char content[256];
        size_t n = fread(content, 1, sizeof content - 1, file);
        content[n] = '\0';
        printf("  %s", content);
    }

    /* Writing files */
    {
        cx_using (FILE *file, cx_open("output.txt", "w"));
        fputs("Python Context Managers Rock!", file);
    }
    {
        cx_using (FILE *file, cx_open("output.txt", "r"));
        char line[64] = "";
        if (fgets(line, sizeof line, file))
            printf("  output.txt holds: %s\n", line);
    }

    /* Binary files (the tour writes a JPEG's first bytes to read back) */
    static const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F'};
    {
        cx_using (FILE *out, cx_open("image.jpg", "wb"));
        fwrite(jpeg, 1, sizeof jpeg, out);
    }
    {
        cx_using (FILE *binary_file, cx_open("image.jpg", "rb"));
        unsigned char data[64];
        size_t n = fread(data, 1, sizeof data, binary_file);
        printf("  image.jpg: %zu bytes, starting %02x %02x %02x\n", n, data[0], data[1],
               data[2]);
    }

    /* A missing file raises FileNotFoundError at enter: nothing after the
     * cx_using runs, and there is nothing to close. */
    cx_try {
        cx_using (FILE *file, cx_open("missing.txt", "r"));
        (void)file;
    } cx_except (&cx_FileNotFoundError, e) {
        printf("  %s: %s\n", cx_error_type(e)->name, cx_error_message(e));
    }
}

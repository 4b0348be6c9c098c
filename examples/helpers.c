/* Helpers the examples share: printing an error chain, counting open
 * descriptors, writing a small input file. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "examples.h"

void show_error(const cx_error *e)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        cx_raise(&cx_MemoryError, "open_memstream");
    cx_error_print(e, mem);
    fclose(mem);
    for (const char *line = text; *line;) {
        size_t n = strcspn(line, "\n");
        /* File "/long/path/to/file.c": the base name keeps lines short */
        const char *file = strstr(line, "File \"");
        const char *slash = file && file < line + n
                                ? memrchr(file, '/', (size_t)(line + n - file))
                                : NULL;
        if (slash)
            printf("  | %.*s%.*s\n", (int)(file + 6 - line), line, (int)(line + n - slash - 1),
                   slash + 1);
        else if (n)
            printf("  | %.*s\n", (int)n, line);
        else
            puts("  |");
        line += n + (line[n] == '\n');
    }
    free(text);
}

void show_error_line(const cx_error *e)
{
    char text[512];
    snprintf(text, sizeof text, "%s: %s", cx_error_type(e)->name, cx_error_message(e));
    const char *p = text;
    int indent = 2;
    while (strlen(p) > (size_t)(80 - indent)) {
        int cut = 80 - indent;
        while (cut > 0 && p[cut] != ' ')
            cut--;
        if (cut == 0)
            break;
        printf("%*s%.*s\n", indent, "", cut, p);
        p += cut + 1;
        indent = 4;
    }
    printf("%*s%s\n", indent, "", p);
}

int open_descriptors(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *ent; (ent = readdir(d));)
        if (ent->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory stream's own descriptor */
}

void write_text(const char *path, const char *text)
{
    cx_using (FILE *f, cx_open(path, "w"));
    fputs(text, f);
}

/*
 * embed.c -- build tool: turns a file into a C source defining
 *   const unsigned char <name>[]; const size_t <name>_len;
 * so Lua modules shipped with daoc are compiled into the library.
 * Usage: embed NAME INPUT OUTPUT
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: embed NAME INPUT OUTPUT\n");
        return 2;
    }
    FILE *in = fopen(argv[2], "rb");
    if (!in) {
        perror(argv[2]);
        return 1;
    }
    FILE *out = fopen(argv[3], "w");
    if (!out) {
        perror(argv[3]);
        fclose(in);
        return 1;
    }
    fprintf(out, "/* generated from %s by tools/embed.c; do not edit */\n#include <stddef.h>\n",
            argv[2]);
    fprintf(out, "const unsigned char %s[] = {", argv[1]);
    size_t n = 0;
    int c;
    while ((c = fgetc(in)) != EOF) {
        fprintf(out, "%s%d,", (n % 24) ? "" : "\n", c);
        n++;
    }
    fprintf(out, "0};\nconst size_t %s_len = %zu;\n", argv[1], n);
    fclose(in);
    int rc = fclose(out) == 0 ? 0 : 1;
    return rc;
}

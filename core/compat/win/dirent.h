/* <dirent.h> for the Windows build (core/dirent_win.c), replacing mingw's:
 * UTF-8 names (FindFirstFileW), d_type (DT_DIR/DT_REG), and scandir() with
 * alphasort(), which mingw lacks. */
#ifndef KYSO_COMPAT_DIRENT_H
#define KYSO_COMPAT_DIRENT_H

#ifdef __cplusplus
extern "C" {
#endif

#define DT_UNKNOWN 0
#define DT_DIR     4
#define DT_REG     8

struct dirent {
	unsigned char d_type;
	char d_name[1024]; /* UTF-8 */
};

typedef struct kyso_dir DIR;

DIR *opendir(const char *path);
struct dirent *readdir(DIR *d);
int closedir(DIR *d);
int scandir(const char *path, struct dirent ***list, int (*filter)(const struct dirent *),
            int (*compar)(const struct dirent **, const struct dirent **));
int alphasort(const struct dirent **a, const struct dirent **b);

#ifdef __cplusplus
}
#endif
#endif

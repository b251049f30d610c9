/* libFuzzer target: the smartcard_list.txt reader (detect/smartcard_list.c),
 * pcsc-tools' ATR table with its pattern syntax ('.' any nibble, [..]
 * classes, ranges). Input: one length byte, that many ATR bytes (at most
 * KYSO_ATR_MAX), then the file's text. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "detect_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	kyso_log_set_level(KYSO_LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t alen = data[0] % (KYSO_ATR_MAX + 1);
	if (size < 1 + alen)
		return 0;
	const uint8_t *atr = data + 1;
	const uint8_t *text = data + 1 + alen;
	size_t tlen = size - 1 - alen;
	int fd = memfd_create("smartcard_list.txt", 0);
	if (fd < 0)
		return 0;
	if (write(fd, text, tlen) == (ssize_t)tlen) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		char *d = kyso_smartcard_list_lookup(path, atr, alen);
		if (d != NULL) {
			/* a description is text of the file: never longer than it */
			if (strlen(d) > tlen + 1)
				abort();
			free(d);
		}
	}
	close(fd);
	return 0;
}

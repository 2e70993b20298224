/*
 * libFuzzer target for the page-sharing store (src/mem/share/store.c),
 * whose file another process writes: (1) any header bytes are accepted or
 * refused by share_store_check_hdr, never read out of bounds; (2) a live
 * store whose free list, counters, slot metadata, hash chains and hints are
 * overwritten with fuzz bytes survives a sequence of get/put operations:
 * no crash, no endless chain walk, and a frame handed out always holds the
 * bytes asked for.
 * Input: [header][u64 file size][u32 free_head][u32 next_fresh][u64 used]
 *        [u16 n][n bytes over the index area][operations, one byte each].
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem/share/store.h"

#define SLOTS 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void take(const uint8_t **d, size_t *n, void *out, size_t len)
{
	size_t k = *n < len ? *n : len;

	memset(out, 0, len);
	memcpy(out, *d, k);
	*d += k;
	*n -= k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct share_store_hdr h, live;
	struct share_store *s = NULL;
	struct verr err = {0};
	uint64_t fsize, used;
	uint32_t free_head, next_fresh;
	uint16_t n;
	char path[96], lock[112];
	static uint8_t area[UINT16_MAX];
	uint8_t page[SHARE_PAGE_SIZE];
	int fd;

	take(&data, &size, &h, sizeof(h));
	take(&data, &size, &fsize, sizeof(fsize));
	(void)share_store_check_hdr(&h, fsize, &err);

	snprintf(path, sizeof(path), "/dev/shm/vessel-fuzz-share-%d", (int)getpid());
	snprintf(lock, sizeof(lock), "%s.lock", path);
	if (share_store_open(path, SLOTS, &s, &err))
		abort(); /* nobody else holds it: a fresh store must open */
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, &live, sizeof(live), 0) != (ssize_t)sizeof(live))
		abort();
	take(&data, &size, &free_head, sizeof(free_head));
	take(&data, &size, &next_fresh, sizeof(next_fresh));
	take(&data, &size, &used, sizeof(used));
	take(&data, &size, &n, sizeof(n));
	/* The counters and the index as a hostile peer might leave them (the mapping sees pwrite).
	 */
	if (pwrite(fd, &free_head, 4, offsetof(struct share_store_hdr, free_head)) != 4 ||
	    pwrite(fd, &next_fresh, 4, offsetof(struct share_store_hdr, next_fresh)) != 4 ||
	    pwrite(fd, &used, 8, offsetof(struct share_store_hdr, used)) != 8)
		abort();
	/* area holds any u16 count; the index area of a 4-slot store is smaller still. */
	if (n > live.data_off - live.meta_off)
		n = (uint16_t)(live.data_off - live.meta_off);
	take(&data, &size, area, n);
	if (pwrite(fd, area, n, (off_t)live.meta_off) != (ssize_t)n)
		abort();
	close(fd);

	for (size_t i = 0; i < size; i++) {
		uint8_t b = data[i];
		uint32_t slot;

		if (b & 1) {
			memset(page, b >> 1, sizeof(page));
			/* Few distinct hashes: chains, collisions and hints all get exercised. */
			uint64_t hash = b & 2 ? share_store_hash(s, page) : (b >> 2) & 3;
			int r = share_store_get(s, page, hash, 1 + ((b >> 3) & 1), b >> 4, &slot);

			if (r == 0 && (slot >= SLOTS ||
				       memcmp(share_store_page(s, slot), page, sizeof(page)) != 0))
				abort();
		} else {
			share_store_put(s, (uint32_t)(b >> 1) % (SLOTS + 2));
		}
	}
	share_store_close(s);
	unlink(path);
	unlink(lock);
	return 0;
}

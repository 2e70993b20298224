/* Freestanding string helpers and the few functions gcc may call implicitly. */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

#include <stddef.h>
#include <stdint.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* Parse a decimal or 0x-prefixed hex number of exactly len bytes; 0 on success, -1 if malformed. */
int parse_u64(const char *s, size_t len, uint64_t *out);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((uint64_t)(a)-1))

#endif

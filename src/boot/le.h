/*
 * Little-endian field access for the loaders. Kernel images are hostile and
 * unaligned: fields are always read and written through memcpy, never by
 * casting a pointer into the image. x86-64 hosts only, so no byte swapping.
 */
#ifndef VESSEL_BOOT_LE_H
#define VESSEL_BOOT_LE_H

#include <stdint.h>
#include <string.h>

static inline uint16_t le16_get(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t le32_get(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t le64_get(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void le16_put(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void le32_put(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void le64_put(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

#endif

#include "boot/e820.h"

#include <string.h>

#include "base/compiler.h"
#include "mem/gmem.h"

static void e820_add(struct e820_map *map, uint64_t addr, uint64_t end, uint32_t type)
{
	if (end <= addr || map->nr >= ARRAY_SIZE(map->entries))
		return;
	map->entries[map->nr++] = (struct e820_entry){
		.addr = addr,
		.size = end - addr,
		.type = type,
	};
}

void e820_build(const struct gmem *m, struct e820_map *map)
{
	uint64_t low_end = gmem_low_end(m);

	memset(map, 0, sizeof(*map));
	/* Region 0 always starts at 0; carve the legacy PC hole out of it. */
	e820_add(map, 0, MIN(low_end, E820_EBDA_START), E820_TYPE_RAM);
	e820_add(map, E820_EBDA_START, MIN(low_end, E820_HIGH_MEM_START), E820_TYPE_RESERVED);
	e820_add(map, E820_HIGH_MEM_START, low_end, E820_TYPE_RAM);
	for (unsigned i = 1; i < m->nr_regions; i++)
		e820_add(map, m->regions[i].gpa, m->regions[i].gpa + m->regions[i].size,
			 E820_TYPE_RAM);
}

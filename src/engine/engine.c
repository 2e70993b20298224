#include "engine/engine.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/soft/engine_soft.h"

bool engine_host_has_hw_virt(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		/* Flags are space-separated words: match whole words only. */
		found = strstr(line, " vmx ") || strstr(line, " svm ") ||
			strstr(line, " vmx\n") || strstr(line, " svm\n");
	}
	fclose(f);
	return found;
}

const struct engine_ops *engine_select(const char *name, struct verr *err)
{
	if (!strcmp(name, "kvm"))
		return &kvm_engine_ops;
	if (!strcmp(name, "soft"))
		return soft_engine_ops(err);
	if (!strcmp(name, "auto"))
		return engine_host_has_hw_virt() ? &kvm_engine_ops : soft_engine_ops(err);
	verr_set(err, EINVAL, "unknown engine '%s' (expected kvm, soft or auto)", name);
	return NULL;
}

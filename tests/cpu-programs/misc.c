/* A little of everything: argv/envp/auxv as seen by the program, malloc of
 * large and small blocks (brk and mmap), files, time, integer maths. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uint64_t h = 0;
	char cwd[4096];
	struct stat st;
	FILE *f;

	for (int i = 0; i < argc; i++)
		printf("argv[%d] = %s\n", i, argv[i]);
	printf("VESSEL_TEST_ENV = %s\n", getenv("VESSEL_TEST_ENV") ? getenv("VESSEL_TEST_ENV") : "(unset)");
	printf("AT_PAGESZ %lu AT_CLKTCK %lu AT_SECURE %lu\n", getauxval(AT_PAGESZ),
	       getauxval(AT_CLKTCK), getauxval(AT_SECURE));
	printf("AT_RANDOM set %d AT_PLATFORM %s\n", getauxval(AT_RANDOM) != 0,
	       (const char *)getauxval(AT_PLATFORM));
	for (size_t sz = 1; sz < (64u << 20); sz = sz * 3 + 1) {
		unsigned char *p = malloc(sz);

		if (!p)
			return 1;
		memset(p, (int)(sz & 0xff), sz);
		h = h * 31 + p[sz - 1] + p[sz / 2];
		p = realloc(p, sz * 2);
		if (!p)
			return 1;
		h = h * 31 + p[sz - 1];
		free(p);
	}
	printf("malloc %016llx\n", (unsigned long long)h);
	if (!getcwd(cwd, sizeof(cwd)))
		return 1;
	printf("cwd ok %d\n", cwd[0] == '/');
	f = fopen("/proc/self/status", "r");
	printf("fopen /proc/self/status %s\n", f ? "ok" : "failed");
	if (f)
		fclose(f);
	printf("stat / %d dir %d\n", stat("/", &st), S_ISDIR(st.st_mode));
	printf("stat missing %d\n", stat("/nonexistent/vessel", &st));
	for (int64_t i = -5; i <= 5; i++)
		printf("%lld / 3 = %lld r %lld, %llu >> %lld = %llu\n", (long long)(i * 1000003),
		       (long long)(i * 1000003 / 3), (long long)(i * 1000003 % 3),
		       (unsigned long long)(i * 0x123456789ll), (long long)(i + 5),
		       (unsigned long long)(i * 0x123456789ll) >> (i + 5));
	return argc > 1 ? atoi(argv[1]) : 0;
}

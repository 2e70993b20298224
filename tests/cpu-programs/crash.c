/* A NULL store: native and emulated runs must both die of SIGSEGV. */
#include <stdio.h>

int main(void)
{
	volatile int *volatile p = NULL;

	printf("before\n");
	fflush(stdout);
	*p = 1;
	printf("after\n");
	return 0;
}

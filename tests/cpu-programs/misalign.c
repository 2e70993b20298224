/* MOVDQA from a misaligned address is #GP(0): native and emulated runs both die of SIGSEGV
 * after printing the same line (SDM Vol. 1, 11.6.8). */
#include <stdio.h>

int main(void)
{
	static _Alignas(16) unsigned char buf[64];
	unsigned char *volatile p = buf + 4;

	printf("aligned load ok\n");
	fflush(stdout);
	__asm__ volatile("movdqa (%0), %%xmm0" : : "r"(buf) : "xmm0");
	__asm__ volatile("movdqu (%0), %%xmm0" : : "r"(p) : "xmm0");
	printf("unaligned movdqu ok\n");
	fflush(stdout);
	__asm__ volatile("movdqa (%0), %%xmm0" : : "r"(p) : "xmm0");
	printf("not reached\n");
	return 0;
}

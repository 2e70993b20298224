/* x87 long double arithmetic, SSE float/double under every rounding mode,
 * exception flags, conversions and compares: prints bit patterns so any
 * difference from the native CPU shows. */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, 8);
	return u;
}

static uint32_t fbits(float f)
{
	uint32_t u;

	memcpy(&u, &f, 4);
	return u;
}

int main(void)
{
	static const int modes[] = { FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO };
	volatile double vals[] = { 1.0, -2.5, 1e-310, 3.0, 0.1, 1e308, -0.0, 7.0, NAN, INFINITY };
	volatile long double lv[] = { 1.0L, 3.0L, -7.25L, 1e-4000L, 2.0L, 0.1L };
	volatile float fv[] = { 1.5f, -3.25f, 1e-40f, 16777217.0f, 0.3f };
	const int n = sizeof(vals) / sizeof(vals[0]);

	for (unsigned m = 0; m < 4; m++) {
		fesetround(modes[m]);
		uint64_t h = 0;

		for (int i = 0; i < n; i++) {
			for (int j = 0; j < n; j++) {
				double a = vals[i], b = vals[j];

				feclearexcept(FE_ALL_EXCEPT);
				h = h * 31 + bits(a + b);
				h = h * 31 + bits(a * b);
				h = h * 31 + bits(a / b);
				h = h * 31 + bits(a - b);
				h = h * 31 + (uint64_t)(a < b) + 2 * (uint64_t)(a == b) + 4 * (uint64_t)isless(a, b);
				h = h * 31 + fbits((float)a * (float)b);
				h = h * 31 + (uint64_t)fetestexcept(FE_ALL_EXCEPT);
			}
			h = h * 31 + bits(sqrt(vals[i]));
			h = h * 31 + (uint64_t)lrint(vals[i] * 1000);
			h = h * 31 + (uint64_t)(long long)(vals[i] * 3);
			h = h * 31 + (uint64_t)(int)(float)vals[i];
			h = h * 31 + bits((double)(float)vals[i]);
			h = h * 31 + bits(rint(vals[i] * 3.3));
		}
		printf("mode %u sse %016llx\n", m, (unsigned long long)h);
		h = 0;
		for (int i = 0; i < 6; i++) {
			for (int j = 0; j < 6; j++) {
				long double a = lv[i], b = lv[j], r[4] = { a + b, a - b, a * b, a / b };
				uint64_t w[2];

				for (int k = 0; k < 4; k++) {
					memset(w, 0, sizeof(w));
					memcpy(w, &r[k], 10);
					h = h * 31 + w[0] + w[1];
				}
				h = h * 31 + (uint64_t)(a < b) + 2 * (uint64_t)(a >= b);
			}
			h = h * 31 + (uint64_t)llrintl(lv[i] * 1000);
			h = h * 31 + bits((double)lv[i]);
			h = h * 31 + fbits((float)lv[i]);
			h = h * 31 + (uint64_t)(long long)lv[i];
			h = h * 31 + bits((double)sqrtl(lv[i] < 0 ? -lv[i] : lv[i]));
		}
		for (int i = 0; i < 5; i++)
			h = h * 31 + bits((double)((long double)fv[i] * 3)) + fbits(fv[i] / 3.0f);
		printf("mode %u x87 %016llx\n", m, (unsigned long long)h);
	}
	fesetround(FE_TONEAREST);
	printf("%.20Lg %.20Lg %Lg\n", 1.0L / 3.0L, sqrtl(2.0L), LDBL_MAX);
	printf("%a %a\n", DBL_MIN / 3, (double)FLT_MAX * 2);
	return 0;
}

/* printf of floats/doubles/long doubles, strtod and libm basics: the output must
 * match a native run byte for byte. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	static const char *const inputs[] = {
		"0", "-0", "1", "0.1", "3.14159265358979323846", "1e308", "1e-308", "4.9e-324",
		"2.2250738585072014e-308", "123456789012345678901234567890", "-1.5e-7", "inf",
		"nan", "0x1.8p3", "1.7976931348623157e308", "6.02214076e23", "9007199254740993",
	};
	double acc = 0;
	float f = 1.0f;

	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		char *end;
		double d = strtod(inputs[i], &end);
		float fl = strtof(inputs[i], NULL);
		long double ld = strtold(inputs[i], NULL);

		printf("%-32s %.17g %a %e %f %g | %.9g | %.21Lg\n", inputs[i], d, d, d, d, d,
		       (double)fl, ld);
		if (isfinite(d))
			acc += d / 7.0;
	}
	for (int i = 1; i <= 40; i++) {
		double x = i * 0.37;

		f = f * 1.1f + 0.3f;
		printf("%2d %.10f %.10f %.10f %.6e %.8f %.6f %ld %d\n", i, sqrt(x), x * x / 3.0,
		       floor(x * 2.5), 1.0 / (x - 7.4 + 1e-9), (double)f, (double)(long double)x / 3,
		       lrint(x * 100), (int)(x * 1000) % 97);
	}
	printf("acc %.17g\n", acc);
	printf("long double %.25Lf %Le\n", 1.0L / 3.0L, (long double)acc * 1e300L * 1e300L);
	return 0;
}

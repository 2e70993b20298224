/*
 * Directed SSE/SSE2 cases with edge values: every instruction class the soft
 * CPU implements, register and memory forms, run over a table of inputs and
 * printed as hex, so the output must match the native CPU exactly. Inputs come
 * from volatile memory so the compiler cannot fold anything.
 */
#include <emmintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N 8

static volatile uint64_t seed_lo[N] = {
	0, ~0ull, 0x8000000000000000ull, 0x7fffffffffffffffull,
	0x0123456789abcdefull, 0x8080808080808080ull, 0x3ff0000000000000ull, 0x7ff8000000000001ull,
};
static volatile uint64_t seed_hi[N] = {
	0, ~0ull, 0x00ff00ff00ff00ffull, 0x8000800080008000ull,
	0xfedcba9876543210ull, 0x7f7f7f7f7f7f7f7full, 0xc00921fb54442d18ull, 0x0000000100000001ull,
};

static __m128i in(int i)
{
	return _mm_set_epi64x((long long)seed_hi[i % N], (long long)seed_lo[i % N]);
}

static uint64_t hash;

static void out(const char *name, __m128i v)
{
	uint64_t w[2];

	memcpy(w, &v, 16);
	hash = (hash ^ w[0]) * 0x100000001b3ull;
	hash = (hash ^ w[1]) * 0x100000001b3ull;
	(void)name;
}

#define BIN(name, expr)                                                  \
	for (int i = 0; i < N; i++)                                      \
		for (int j = 0; j < N; j++) {                            \
			__m128i a = in(i), b = in(j);                    \
			out(name, (expr));                               \
		}                                                        \
	printf("%-12s %016llx\n", name, (unsigned long long)hash);

#define PS(x) _mm_castps_si128(x)
#define PD(x) _mm_castpd_si128(x)
#define FA _mm_castsi128_ps(a)
#define FB _mm_castsi128_ps(b)
#define DA _mm_castsi128_pd(a)
#define DB _mm_castsi128_pd(b)

static void shifts(void)
{
	for (int i = 0; i < N; i++) {
		__m128i a = in(i);
		for (int n = 0; n < 70; n += 3) {
			__m128i c = _mm_cvtsi32_si128(n);
			out("sh", _mm_sll_epi16(a, c));
			out("sh", _mm_srl_epi32(a, c));
			out("sh", _mm_sra_epi16(a, c));
			out("sh", _mm_sra_epi32(a, c));
			out("sh", _mm_sll_epi64(a, c));
			out("sh", _mm_srl_epi64(a, c));
		}
		out("shi", _mm_slli_epi16(a, 3));
		out("shi", _mm_srai_epi16(a, 15));
		out("shi", _mm_srai_epi32(a, 31));
		out("shi", _mm_srli_epi64(a, 63));
		out("shi", _mm_slli_si128(a, 5));
		out("shi", _mm_srli_si128(a, 15));
		out("shi", _mm_shuffle_epi32(a, 0x1b));
		out("shi", _mm_shufflelo_epi16(a, 0x93));
		out("shi", _mm_shufflehi_epi16(a, 0x4e));
		out("shi", PS(_mm_shuffle_ps(_mm_castsi128_ps(a), _mm_castsi128_ps(in(i + 3)), 0xb4)));
		out("shi", PD(_mm_shuffle_pd(_mm_castsi128_pd(a), _mm_castsi128_pd(in(i + 1)), 1)));
		out("shi", _mm_insert_epi16(a, (int)seed_lo[(i + 4) % N], 5));
		hash = hash * 31 + (uint64_t)_mm_extract_epi16(a, 6);
		hash = hash * 31 + (uint64_t)_mm_movemask_epi8(a);
		hash = hash * 31 + (uint64_t)_mm_movemask_ps(_mm_castsi128_ps(a));
		hash = hash * 31 + (uint64_t)_mm_movemask_pd(_mm_castsi128_pd(a));
	}
	printf("%-12s %016llx\n", "shifts", (unsigned long long)hash);
}

static void conversions(void)
{
	static volatile double d[] = { 0.5, 1.5, 2.5, -0.5, -1.5, 1e10, -1e19, 9.3e18, 1e-320, 3e38, 4e38 };
	for (unsigned i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		__m128d v = _mm_set_pd(d[(i + 1) % 11], d[i]);
		__m128 f = _mm_cvtpd_ps(v);

		hash = hash * 31 + (uint64_t)_mm_cvtsd_si64(v);
		hash = hash * 31 + (uint64_t)_mm_cvttsd_si64(v);
		hash = hash * 31 + (uint64_t)(uint32_t)_mm_cvtsd_si32(v);
		hash = hash * 31 + (uint64_t)(uint32_t)_mm_cvttsd_si32(v);
		hash = hash * 31 + (uint64_t)_mm_cvtss_si64(f);
		hash = hash * 31 + (uint64_t)(uint32_t)_mm_cvttss_si32(f);
		out("cvt", PS(f));
		out("cvt", PD(_mm_cvtps_pd(f)));
		out("cvt", _mm_cvtpd_epi32(v));
		out("cvt", _mm_cvttpd_epi32(v));
		out("cvt", _mm_cvtps_epi32(f));
		out("cvt", _mm_cvttps_epi32(f));
		out("cvt", PS(_mm_cvtepi32_ps(in((int)i))));
		out("cvt", PD(_mm_cvtepi32_pd(in((int)i))));
		out("cvt", PD(_mm_cvtsi64_sd(v, (long long)seed_lo[i % N])));
		out("cvt", PS(_mm_cvtsi32_ss(f, (int)seed_hi[i % N])));
		out("cvt", PD(_mm_cvtss_sd(v, f)));
		out("cvt", PS(_mm_cvtsd_ss(f, v)));
		hash = hash * 31 + (uint64_t)_mm_comilt_sd(v, _mm_set_sd(1.0)) +
		       2 * (uint64_t)_mm_ucomieq_sd(v, v) + 4 * (uint64_t)_mm_comige_ss(f, f);
		hash = hash * 31 + _mm_getcsr();
	}
	printf("%-12s %016llx\n", "conversions", (unsigned long long)hash);
}

/* Memory operands, MOVSS/MOVSD/MOVHPS/MOVLPS/MOVQ forms, and FXSAVE's MXCSR/XMM image. */
static void moves(void)
{
	_Alignas(16) uint8_t buf[64];
	_Alignas(16) uint8_t fx[512];
	__m128i a = in(4), b = in(7), r;
	uint32_t csr;

	for (int i = 0; i < 64; i++)
		buf[i] = (uint8_t)(i * 7 + seed_lo[4]);
	__asm__ volatile("movdqa %1, %0\n\tmovss %2, %0" : "=&x"(r) : "x"(a), "m"(buf[4]));
	out("mov", r);
	__asm__ volatile("movdqa %1, %0\n\tmovsd %2, %0" : "=&x"(r) : "x"(a), "m"(buf[8]));
	out("mov", r);
	__asm__ volatile("movdqa %1, %0\n\tmovss %2, %0" : "=&x"(r) : "x"(a), "x"(b));
	out("mov", r);
	__asm__ volatile("movdqa %1, %0\n\tmovhps %2, %0" : "=&x"(r) : "x"(a), "m"(buf[16]));
	out("mov", r);
	__asm__ volatile("movdqa %1, %0\n\tmovlpd %2, %0" : "=&x"(r) : "x"(a), "m"(buf[24]));
	out("mov", r);
	__asm__ volatile("movdqa %1, %0\n\tmovhlps %2, %0" : "=&x"(r) : "x"(a), "x"(b));
	out("mov", r);
	__asm__ volatile("movdqa %1, %0\n\tmovlhps %2, %0" : "=&x"(r) : "x"(a), "x"(b));
	out("mov", r);
	__asm__ volatile("movq %1, %0" : "=x"(r) : "x"(b));
	out("mov", r);
	__asm__ volatile("movq %1, %0" : "=x"(r) : "m"(buf[40]));
	out("mov", r);
	__asm__ volatile("movdqu %1, %0" : "=x"(r) : "m"(buf[3]));
	out("mov", r);
	__asm__ volatile("paddb %1, %0" : "+x"(a) : "m"(buf[16]));
	out("mov", a);
	__asm__ volatile("movhps %1, %0" : "=m"(buf[32]) : "x"(b));
	__asm__ volatile("movss %1, %0" : "=m"(buf[44]) : "x"(b));
	__asm__ volatile("movq %1, %0" : "=m"(buf[50]) : "x"(a));
	__asm__ volatile("movd %1, %0" : "=r"(csr) : "x"(b));
	hash = hash * 31 + csr;
	__asm__ volatile("movq %1, %%rax\n\tmovq %%rax, %0" : "=x"(r) : "x"(b) : "rax");
	out("mov", r);
	for (int i = 0; i < 64; i += 8) {
		uint64_t w;
		memcpy(&w, buf + i, 8);
		hash = hash * 31 + w;
	}
	/* MXCSR round trip and FXSAVE: MXCSR at 24, MXCSR_MASK at 28 differs by CPU: skip it. */
	csr = 0x3f80 | 0x6000; /* round toward zero, all masked */
	__asm__ volatile("ldmxcsr %0" : : "m"(csr));
	__asm__ volatile("movdqa %0, %%xmm9" : : "x"(b) : "xmm9");
	__asm__ volatile("fxsave64 %0" : "=m"(fx));
	hash = hash * 31 + *(uint32_t *)(void *)(fx + 24);
	hash = hash * 31 + *(uint64_t *)(void *)(fx + 160 + 9 * 16);
	hash = hash * 31 + *(uint16_t *)(void *)(fx + 0);
	csr = 0x1f80;
	__asm__ volatile("ldmxcsr %0" : : "m"(csr));
	__asm__ volatile("fxrstor64 %0" : : "m"(fx));
	__asm__ volatile("stmxcsr %0" : "=m"(csr));
	hash = hash * 31 + csr;
	csr = 0x1f80;
	__asm__ volatile("ldmxcsr %0" : : "m"(csr));
	printf("%-12s %016llx\n", "moves", (unsigned long long)hash);
}

int main(void)
{
	BIN("padd", _mm_add_epi8(_mm_add_epi16(a, b), _mm_add_epi32(_mm_add_epi64(a, b), b)))
	BIN("psub", _mm_sub_epi8(_mm_sub_epi16(a, b), _mm_sub_epi32(_mm_sub_epi64(a, b), b)))
	BIN("sat", _mm_xor_si128(_mm_adds_epu8(a, b), _mm_subs_epi16(_mm_adds_epi8(a, b), _mm_subs_epu16(a, b))))
	BIN("sat2", _mm_xor_si128(_mm_adds_epu16(a, b), _mm_subs_epi8(_mm_adds_epi16(a, b), _mm_subs_epu8(a, b))))
	BIN("cmp", _mm_xor_si128(_mm_cmpeq_epi8(a, b), _mm_add_epi8(_mm_cmpgt_epi16(a, b), _mm_cmpgt_epi32(a, b))))
	BIN("cmp2", _mm_add_epi8(_mm_cmpgt_epi8(a, b), _mm_add_epi8(_mm_cmpeq_epi16(a, b), _mm_cmpeq_epi32(a, b))))
	BIN("logic", _mm_xor_si128(_mm_andnot_si128(a, b), _mm_or_si128(_mm_and_si128(a, b), b)))
	BIN("minmax", _mm_xor_si128(_mm_min_epu8(a, b), _mm_add_epi8(_mm_max_epi16(a, b), _mm_min_epi16(_mm_max_epu8(a, b), a))))
	BIN("avg", _mm_xor_si128(_mm_avg_epu8(a, b), _mm_avg_epu16(b, a)))
	BIN("mul", _mm_xor_si128(_mm_mullo_epi16(a, b), _mm_add_epi64(_mm_mulhi_epi16(a, b), _mm_mul_epu32(a, b))))
	BIN("mul2", _mm_xor_si128(_mm_mulhi_epu16(a, b), _mm_add_epi32(_mm_madd_epi16(a, b), _mm_sad_epu8(a, b))))
	BIN("unpack", _mm_xor_si128(_mm_unpacklo_epi8(a, b), _mm_add_epi8(_mm_unpackhi_epi16(a, b), _mm_unpacklo_epi32(a, b))))
	BIN("unpack2", _mm_xor_si128(_mm_unpackhi_epi8(a, b), _mm_add_epi8(_mm_unpacklo_epi16(a, b), _mm_add_epi8(_mm_unpackhi_epi32(a, b), _mm_unpackhi_epi64(a, b)))))
	BIN("pack", _mm_xor_si128(_mm_packs_epi16(a, b), _mm_add_epi8(_mm_packs_epi32(a, b), _mm_packus_epi16(a, b))))
	BIN("addps", PS(_mm_add_ps(_mm_mul_ps(FA, FB), _mm_sub_ps(FA, FB))))
	BIN("divps", PS(_mm_div_ps(_mm_sqrt_ps(FA), FB)))
	BIN("minps", PS(_mm_add_ps(_mm_min_ps(FA, FB), _mm_max_ps(FB, FA))))
	BIN("scalar-s", PS(_mm_add_ss(_mm_mul_ss(FA, FB), _mm_div_ss(_mm_sub_ss(FA, FB), _mm_sqrt_ss(FB)))))
	BIN("scalar-s2", PS(_mm_min_ss(_mm_max_ss(FA, FB), FB)))
	BIN("addpd", PD(_mm_add_pd(_mm_mul_pd(DA, DB), _mm_sub_pd(DA, DB))))
	BIN("divpd", PD(_mm_div_pd(_mm_sqrt_pd(DA), DB)))
	BIN("minpd", PD(_mm_add_pd(_mm_min_pd(DA, DB), _mm_max_pd(DB, DA))))
	BIN("scalar-d", PD(_mm_add_sd(_mm_mul_sd(DA, DB), _mm_div_sd(_mm_sub_sd(DA, DB), _mm_sqrt_sd(DB, DB)))))
	BIN("scalar-d2", PD(_mm_min_sd(_mm_max_sd(DA, DB), DB)))
	BIN("cmpps", _mm_xor_si128(PS(_mm_cmplt_ps(FA, FB)), _mm_add_epi8(PS(_mm_cmpunord_ps(FA, FB)), PS(_mm_cmpnle_ps(FA, FB)))))
	BIN("cmppd", _mm_xor_si128(PD(_mm_cmpeq_pd(DA, DB)), _mm_add_epi8(PD(_mm_cmpord_pd(DA, DB)), PD(_mm_cmpnlt_pd(DA, DB)))))
	BIN("cmpsd", _mm_xor_si128(PD(_mm_cmple_sd(DA, DB)), PS(_mm_cmpneq_ss(FA, FB))))
	BIN("logicps", _mm_xor_si128(PS(_mm_andnot_ps(FA, FB)), PD(_mm_xor_pd(_mm_or_pd(DA, DB), _mm_and_pd(DB, DA)))))
	BIN("unpckps", _mm_xor_si128(PS(_mm_unpacklo_ps(FA, FB)), _mm_add_epi8(PS(_mm_unpackhi_ps(FA, FB)), PD(_mm_unpacklo_pd(DA, DB)))))
	BIN("mxcsr", _mm_add_epi32(PS(_mm_div_ps(FA, FB)), _mm_set1_epi32((int)(_mm_getcsr() & 0x3f))))
	shifts();
	conversions();
	moves();
	return 0;
}

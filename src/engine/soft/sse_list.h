/*
 * The SSE/SSE2 instructions implemented, as X-macro lists:
 * X(mnemonic, form, handler, custom decode). sse.c turns them into the
 * core's table; each sse_*.c turns its own list into its sse_insn array.
 */
#ifndef VESSEL_ENGINE_SOFT_SSE_LIST_H
#define VESSEL_ENGINE_SOFT_SSE_LIST_H

/* Data movement, masks, MXCSR (sse_mov.c). */
#define SSE_MOV_LIST(X)                                                                         \
	X(MOVAPS, CUSTOM, NULL, sse_dec_mov128a) X(MOVAPD, CUSTOM, NULL, sse_dec_mov128a)        \
	X(MOVDQA, CUSTOM, NULL, sse_dec_mov128a) X(MOVNTPS, CUSTOM, NULL, sse_dec_mov128a)       \
	X(MOVNTPD, CUSTOM, NULL, sse_dec_mov128a) X(MOVNTDQ, CUSTOM, NULL, sse_dec_mov128a)      \
	X(MOVUPS, CUSTOM, NULL, sse_dec_mov128u) X(MOVUPD, CUSTOM, NULL, sse_dec_mov128u)        \
	X(MOVDQU, CUSTOM, NULL, sse_dec_mov128u)                                                 \
	X(MOVSS, CUSTOM, NULL, sse_dec_movs) X(MOVSD, CUSTOM, NULL, sse_dec_movs)                \
	X(MOVD, CUSTOM, NULL, sse_dec_movdq) X(MOVQ, CUSTOM, NULL, sse_dec_movdq)                \
	X(MOVLPS, CUSTOM, NULL, sse_dec_movhl) X(MOVLPD, CUSTOM, NULL, sse_dec_movhl)            \
	X(MOVHPS, CUSTOM, NULL, sse_dec_movhl) X(MOVHPD, CUSTOM, NULL, sse_dec_movhl)            \
	X(MOVHLPS, CUSTOM, NULL, sse_dec_movhl) X(MOVLHPS, CUSTOM, NULL, sse_dec_movhl)          \
	X(MOVMSKPS, CUSTOM, NULL, sse_dec_movmsk) X(MOVMSKPD, CUSTOM, NULL, sse_dec_movmsk)      \
	X(PMOVMSKB, CUSTOM, NULL, sse_dec_movmsk)                                                \
	X(PEXTRW, CUSTOM, NULL, sse_dec_pextrw) X(PINSRW, CUSTOM, NULL, sse_dec_pinsrw)          \
	X(LDMXCSR, CUSTOM, NULL, sse_dec_mxcsr) X(STMXCSR, CUSTOM, NULL, sse_dec_mxcsr)          \
	X(MOVNTI, CUSTOM, NULL, sse_dec_movnti)

/* Integer and bitwise operations (sse_int.c). */
#define SSE_INT_LIST(X)                                                                         \
	X(PADDB, RM, h_paddb, NULL) X(PADDW, RM, h_paddw, NULL) X(PADDD, RM, h_paddd, NULL)      \
	X(PADDQ, RM, h_paddq, NULL) X(PSUBB, RM, h_psubb, NULL) X(PSUBW, RM, h_psubw, NULL)      \
	X(PSUBD, RM, h_psubd, NULL) X(PSUBQ, RM, h_psubq, NULL)                                  \
	X(PADDUSB, RM, h_paddusb, NULL) X(PADDUSW, RM, h_paddusw, NULL)                          \
	X(PADDSB, RM, h_paddsb, NULL) X(PADDSW, RM, h_paddsw, NULL)                              \
	X(PSUBUSB, RM, h_psubusb, NULL) X(PSUBUSW, RM, h_psubusw, NULL)                          \
	X(PSUBSB, RM, h_psubsb, NULL) X(PSUBSW, RM, h_psubsw, NULL)                              \
	X(PCMPEQB, RM, h_pcmpeqb, NULL) X(PCMPEQW, RM, h_pcmpeqw, NULL)                          \
	X(PCMPEQD, RM, h_pcmpeqd, NULL) X(PCMPGTB, RM, h_pcmpgtb, NULL)                          \
	X(PCMPGTW, RM, h_pcmpgtw, NULL) X(PCMPGTD, RM, h_pcmpgtd, NULL)                          \
	X(PAND, RM, h_pand, NULL) X(PANDN, RM, h_pandn, NULL) X(POR, RM, h_por, NULL)            \
	X(PXOR, RM, h_pxor, NULL) X(ANDPS, RM, h_pand, NULL) X(ANDPD, RM, h_pand, NULL)          \
	X(ANDNPS, RM, h_pandn, NULL) X(ANDNPD, RM, h_pandn, NULL) X(ORPS, RM, h_por, NULL)       \
	X(ORPD, RM, h_por, NULL) X(XORPS, RM, h_pxor, NULL) X(XORPD, RM, h_pxor, NULL)           \
	X(PMINUB, RM, h_pminub, NULL) X(PMAXUB, RM, h_pmaxub, NULL)                              \
	X(PMINSW, RM, h_pminsw, NULL) X(PMAXSW, RM, h_pmaxsw, NULL)                              \
	X(PAVGB, RM, h_pavgb, NULL) X(PAVGW, RM, h_pavgw, NULL)                                  \
	X(PMULLW, RM, h_pmullw, NULL) X(PMULHW, RM, h_pmulhw, NULL)                              \
	X(PMULHUW, RM, h_pmulhuw, NULL) X(PMULUDQ, RM, h_pmuludq, NULL)                          \
	X(PMADDWD, RM, h_pmaddwd, NULL) X(PSADBW, RM, h_psadbw, NULL)                            \
	X(PUNPCKLBW, RM, h_punpcklbw, NULL) X(PUNPCKLWD, RM, h_punpcklwd, NULL)                  \
	X(PUNPCKLDQ, RM, h_punpckldq, NULL) X(PUNPCKLQDQ, RM, h_punpcklqdq, NULL)                \
	X(PUNPCKHBW, RM, h_punpckhbw, NULL) X(PUNPCKHWD, RM, h_punpckhwd, NULL)                  \
	X(PUNPCKHDQ, RM, h_punpckhdq, NULL) X(PUNPCKHQDQ, RM, h_punpckhqdq, NULL)                \
	X(UNPCKLPS, RM, h_punpckldq, NULL) X(UNPCKHPS, RM, h_punpckhdq, NULL)                    \
	X(UNPCKLPD, RM, h_punpcklqdq, NULL) X(UNPCKHPD, RM, h_punpckhqdq, NULL)                  \
	X(PACKSSWB, RM, h_packsswb, NULL) X(PACKSSDW, RM, h_packssdw, NULL)                      \
	X(PACKUSWB, RM, h_packuswb, NULL)                                                        \
	X(PSHUFD, RMI, h_pshufd, NULL) X(PSHUFLW, RMI, h_pshuflw, NULL)                          \
	X(PSHUFHW, RMI, h_pshufhw, NULL) X(SHUFPS, RMI, h_shufps, NULL)                          \
	X(SHUFPD, RMI, h_shufpd, NULL)                                                           \
	X(PSLLW, SHIFT, h_psllw, NULL) X(PSLLD, SHIFT, h_pslld, NULL)                            \
	X(PSLLQ, SHIFT, h_psllq, NULL) X(PSRLW, SHIFT, h_psrlw, NULL)                            \
	X(PSRLD, SHIFT, h_psrld, NULL) X(PSRLQ, SHIFT, h_psrlq, NULL)                            \
	X(PSRAW, SHIFT, h_psraw, NULL) X(PSRAD, SHIFT, h_psrad, NULL)                            \
	X(PSLLDQ, IMM, h_pslldq, NULL) X(PSRLDQ, IMM, h_psrldq, NULL)

/* Floating point: arithmetic, compares, conversions (sse_fp.c). */
#define SSE_FP_LIST(X)                                                                          \
	X(ADDPS, RM, h_addps, NULL) X(ADDSS, RM, h_addss, NULL) X(ADDPD, RM, h_addpd, NULL)      \
	X(ADDSD, RM, h_addsd, NULL) X(SUBPS, RM, h_subps, NULL) X(SUBSS, RM, h_subss, NULL)      \
	X(SUBPD, RM, h_subpd, NULL) X(SUBSD, RM, h_subsd, NULL) X(MULPS, RM, h_mulps, NULL)      \
	X(MULSS, RM, h_mulss, NULL) X(MULPD, RM, h_mulpd, NULL) X(MULSD, RM, h_mulsd, NULL)      \
	X(DIVPS, RM, h_divps, NULL) X(DIVSS, RM, h_divss, NULL) X(DIVPD, RM, h_divpd, NULL)      \
	X(DIVSD, RM, h_divsd, NULL) X(SQRTPS, RM, h_sqrtps, NULL) X(SQRTSS, RM, h_sqrtss, NULL)  \
	X(SQRTPD, RM, h_sqrtpd, NULL) X(SQRTSD, RM, h_sqrtsd, NULL)                              \
	X(MINPS, RM, h_minps, NULL) X(MINSS, RM, h_minss, NULL) X(MINPD, RM, h_minpd, NULL)      \
	X(MINSD, RM, h_minsd, NULL) X(MAXPS, RM, h_maxps, NULL) X(MAXSS, RM, h_maxss, NULL)      \
	X(MAXPD, RM, h_maxpd, NULL) X(MAXSD, RM, h_maxsd, NULL)                                  \
	X(RCPPS, RM, h_rcpps, NULL) X(RCPSS, RM, h_rcpss, NULL)                                  \
	X(RSQRTPS, RM, h_rsqrtps, NULL) X(RSQRTSS, RM, h_rsqrtss, NULL)                          \
	X(CMPPS, RMI, h_cmpps, NULL) X(CMPSS, RMI, h_cmpss, NULL) X(CMPPD, RMI, h_cmppd, NULL)   \
	X(CMPSD, CUSTOM, NULL, sse_dec_cmpsd)                                                    \
	X(COMISS, RM, h_comiss, NULL) X(UCOMISS, RM, h_ucomiss, NULL)                            \
	X(COMISD, RM, h_comisd, NULL) X(UCOMISD, RM, h_ucomisd, NULL)                            \
	X(CVTSS2SD, RM, h_cvtss2sd, NULL) X(CVTSD2SS, RM, h_cvtsd2ss, NULL)                      \
	X(CVTPS2PD, RM, h_cvtps2pd, NULL) X(CVTPD2PS, RM, h_cvtpd2ps, NULL)                      \
	X(CVTDQ2PS, RM, h_cvtdq2ps, NULL) X(CVTPS2DQ, RM, h_cvtps2dq, NULL)                      \
	X(CVTTPS2DQ, RM, h_cvttps2dq, NULL) X(CVTDQ2PD, RM, h_cvtdq2pd, NULL)                    \
	X(CVTPD2DQ, RM, h_cvtpd2dq, NULL) X(CVTTPD2DQ, RM, h_cvttpd2dq, NULL)                    \
	X(CVTSI2SS, CUSTOM, NULL, sse_dec_cvtsi2f) X(CVTSI2SD, CUSTOM, NULL, sse_dec_cvtsi2f)    \
	X(CVTSS2SI, CUSTOM, NULL, sse_dec_cvtf2si) X(CVTSD2SI, CUSTOM, NULL, sse_dec_cvtf2si)    \
	X(CVTTSS2SI, CUSTOM, NULL, sse_dec_cvtf2si) X(CVTTSD2SI, CUSTOM, NULL, sse_dec_cvtf2si)

#endif

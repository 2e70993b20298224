#!/usr/bin/env python3
"""Write the seed corpus for tests/fuzz/fuzz_boot.c into tests/fuzz/corpus/boot/.

Tiny, valid (or nearly valid) kernel images, so the fuzzer starts deep inside
the ELF64 and bzImage parsers instead of guessing magic numbers. Layouts follow
the ELF-64 gABI and Documentation/arch/x86/boot.rst. Run it again after
changing it; the output is deterministic.
"""
import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fuzz", "corpus", "boot")

HLT = b"\xf4"


def elf(segments, entry, phnum=None, etype=2, machine=0x3E, klass=2):
    """segments: list of (paddr, data, memsz, p_type). Data follows the headers."""
    phoff = 64
    nph = len(segments)
    off = phoff + 56 * nph
    phdrs = b""
    body = b""
    for paddr, data, memsz, ptype in segments:
        phdrs += struct.pack("<IIQQQQQQ", ptype, 5, off + len(body), paddr, paddr, len(data), memsz, 0x1000)
        body += data
    ident = b"\x7fELF" + bytes([klass, 1, 1, 0]) + b"\0" * 8
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", etype, machine, 1, entry, phoff, 0, 0, 64, 56,
                               nph if phnum is None else phnum, 64, 0, 0)
    return ehdr + phdrs + body


def bzimage(version=0x020F, relocatable=1, setup_sects=1, payload=HLT * 64, init_size=0x10000,
            pref=0x1000000, xloadflags=0x3, loadflags=0x01, align=0x200000, cmdline_size=255):
    setup = bytearray(512 * ((setup_sects or 4) + 1))  # 0 means 4 sectors
    struct.pack_into("<B", setup, 0x1F1, setup_sects)
    struct.pack_into("<I", setup, 0x1F4, (len(payload) + 15) // 16)
    struct.pack_into("<H", setup, 0x1FE, 0xAA55)
    struct.pack_into("<BB", setup, 0x200, 0xEB, 0x66)
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, version)
    struct.pack_into("<B", setup, 0x211, loadflags)
    struct.pack_into("<I", setup, 0x22C, 0x7FFFFFFF)
    struct.pack_into("<I", setup, 0x230, align)
    struct.pack_into("<BB", setup, 0x234, relocatable, 21)
    struct.pack_into("<H", setup, 0x236, xloadflags)
    struct.pack_into("<I", setup, 0x238, cmdline_size)
    struct.pack_into("<Q", setup, 0x258, pref)
    struct.pack_into("<I", setup, 0x260, init_size)
    payload = payload + b"\0" * (-len(payload) % 16)
    return bytes(setup) + payload


SEEDS = {
    "elf-one-segment": elf([(0x100000, HLT * 16, 16, 1)], 0x100000),
    "elf-text-bss": elf([(0x200000, HLT * 32, 32, 1), (0x300000, b"\1" * 8, 0x2000, 1)], 0x200010),
    "elf-with-note": elf([(0, b"note", 4, 4), (0x100000, HLT * 8, 8, 1)], 0x100004),
    "elf-class32": elf([(0x100000, HLT, 1, 1)], 0x100000, klass=1),
    "elf-dyn": elf([(0x100000, HLT, 1, 1)], 0x100000, etype=3),
    "bz-relocatable": bzimage(),
    "bz-fixed": bzimage(relocatable=0, pref=0x100000),
    "bz-setup-sects-0": bzimage(setup_sects=0),
    "bz-big-init-size": bzimage(init_size=0x2000000),
    "bz-protocol-2.10": bzimage(version=0x020A),
    "bz-no-64bit": bzimage(xloadflags=0),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {os.path.normpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()

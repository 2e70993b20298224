/*
 * qcow2 images (QEMU's "qcow2" format, docs/interop/qcow2.txt of QEMU 7.2,
 * versions 2 and 3): header, header extensions, the two-level L1/L2
 * cluster map, 16-bit refcounts and a backing file.
 *
 * Reads go through L1/L2; unallocated clusters read from the backing file
 * (zeros beyond its end, or without one). Writes allocate clusters at the
 * end of the image file, copying the rest of the cluster from the backing
 * file (copy-on-write), and keep refcounts exact, so `qemu-img check` stays
 * clean. The backing file is opened read-only and never written.
 *
 * Refused at open with a message naming the file and the reason:
 * encryption, external data files, compression types other than zlib,
 * extended L2 entries, unknown incompatible features, the dirty or
 * corrupt bits, refcount widths other than 16 bits, compressed clusters,
 * internal snapshots on a writable image, and any table or entry that is
 * misaligned, outside the file or too large.
 */
#ifndef VESSEL_DEV_BACKEND_QCOW2_H
#define VESSEL_DEV_BACKEND_QCOW2_H

#define QCOW2_MAGIC 0x514649fbu /* "QFI\xfb" */
#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21
#define QCOW2_MAX_BACKING_DEPTH 8
#define QCOW2_MAX_SIZE (1ull << 50)	    /* virtual disk size we accept */
#define QCOW2_MAX_TABLE_BYTES (32ull << 20) /* L1 or refcount table held in memory */

#endif

/* qcow2 images with backing files (see qcow2.h). */
#include "dev/backend/qcow2.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fdio.h"
#include "dev/backend/block.h"

/* Header fields (qcow2.txt "Header"), big-endian. */
#define H_MAGIC 0
#define H_VERSION 4
#define H_BACKING_OFFSET 8
#define H_BACKING_SIZE 16
#define H_CLUSTER_BITS 20
#define H_SIZE 24
#define H_CRYPT 32
#define H_L1_SIZE 36
#define H_L1_OFFSET 40
#define H_RT_OFFSET 48
#define H_RT_CLUSTERS 56
#define H_NB_SNAPSHOTS 60
#define H_INCOMPAT 72
#define H_REFCOUNT_ORDER 96
#define H_HEADER_LENGTH 100
#define H_COMPRESSION_TYPE 104
#define H_V2_LENGTH 72
#define H_V3_MIN_LENGTH 104

#define INCOMPAT_DIRTY (1ull << 0)
#define INCOMPAT_CORRUPT (1ull << 1)
#define INCOMPAT_DATA_FILE (1ull << 2)
#define INCOMPAT_COMPRESSION (1ull << 3)
#define INCOMPAT_EXTL2 (1ull << 4)

#define EXT_END 0
#define EXT_BACKING_FORMAT 0xe2792acau
#define EXT_ENCRYPTION 0x0537be77u
#define EXT_DATA_FILE 0x44415441u

#define L1_OFFSET_MASK 0x00fffffffffffe00ull
#define L2_OFFSET_MASK 0x00fffffffffffe00ull
#define ENTRY_COPIED (1ull << 63)
#define L2_COMPRESSED (1ull << 62)
#define L2_ZERO 1ull
#define RT_OFFSET_MASK 0xfffffffffffffe00ull

struct qcow2 {
	struct blk_backend b;
	int fd;
	char name[PATH_MAX];
	unsigned version;
	unsigned cluster_bits;
	uint64_t cluster_size;
	uint64_t l2_entries;
	uint64_t *l1; /* host order */
	uint32_t l1_size;
	uint64_t l1_offset;
	uint64_t *rt; /* host order */
	uint64_t rt_entries;
	uint64_t rt_offset;
	uint64_t file_end; /* where the next cluster is allocated */
	struct blk_backend *backing;
	uint8_t *cbuf; /* one cluster, for copy-on-write */
};

static int q_pread(struct qcow2 *q, void *buf, size_t len, uint64_t off)
{
	return fd_pread_full(q->fd, buf, len, off);
}

static int q_pwrite(struct qcow2 *q, const void *buf, size_t len, uint64_t off)
{
	return fd_pwrite_full(q->fd, buf, len, off);
}

static uint32_t get_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

/* The L2 entry for a guest offset: *entry_off gets where it lives (0: no L2 table). */
static int q_l2_entry(struct qcow2 *q, uint64_t vaddr, uint64_t *entry_off, uint64_t *entry)
{
	uint64_t l1i = vaddr >> (q->cluster_bits + q->cluster_bits - 3);
	uint64_t l2_off, be;
	int ret;

	*entry_off = 0;
	*entry = 0;
	if (l1i >= q->l1_size)
		return -EIO;
	l2_off = q->l1[l1i] & L1_OFFSET_MASK;
	if (!l2_off)
		return 0;
	*entry_off = l2_off + 8 * ((vaddr >> q->cluster_bits) & (q->l2_entries - 1));
	ret = q_pread(q, &be, 8, *entry_off);
	if (ret)
		return ret;
	*entry = be64toh(be);
	if (*entry & L2_COMPRESSED)
		return -EIO; /* refused at open; someone changed the file behind us */
	return 0;
}

/* Read from the backing file, zeros past its end or without one. */
static int q_read_backing(struct qcow2 *q, uint64_t off, uint8_t *buf, size_t len)
{
	size_t have = 0;

	if (q->backing && off < q->backing->size) {
		have = (size_t)MIN((uint64_t)len, q->backing->size - off);
		int ret = blk_read(q->backing, off, buf, have);

		if (ret)
			return ret;
	}
	memset(buf + have, 0, len - have);
	return 0;
}

static int qcow2_read(struct blk_backend *b, uint64_t off, void *buf, size_t len)
{
	struct qcow2 *q = container_of(b, struct qcow2, b);
	uint8_t *p = buf;

	while (len) {
		uint64_t in = off & (q->cluster_size - 1), eoff, e, host;
		size_t chunk = (size_t)MIN((uint64_t)len, q->cluster_size - in);
		int ret = q_l2_entry(q, off, &eoff, &e);

		if (ret)
			return ret;
		host = e & L2_OFFSET_MASK;
		if (q->version >= 3 && (e & L2_ZERO))
			memset(p, 0, chunk);
		else if (host)
			ret = q_pread(q, p, chunk, host + in);
		else
			ret = q_read_backing(q, off, p, chunk);
		if (ret)
			return ret;
		off += chunk;
		p += chunk;
		len -= chunk;
	}
	return 0;
}

static int q_refcount_set(struct qcow2 *q, uint64_t cluster, uint16_t value, unsigned depth);

/* Take the next cluster at the end of the file, with refcount 1. */
static int q_alloc_cluster(struct qcow2 *q, uint64_t *out, unsigned depth)
{
	uint64_t off = q->file_end;
	int ret;

	q->file_end += q->cluster_size;
	ret = q_refcount_set(q, off >> q->cluster_bits, 1, depth);
	if (ret)
		return ret;
	*out = off;
	return 0;
}

static int q_write_zero_cluster(struct qcow2 *q, uint64_t off)
{
	memset(q->cbuf, 0, q->cluster_size);
	return q_pwrite(q, q->cbuf, q->cluster_size, off);
}

static int q_refcount_set(struct qcow2 *q, uint64_t cluster, uint16_t value, unsigned depth)
{
	unsigned per_block_bits = q->cluster_bits - 1; /* 16-bit entries */
	uint64_t rti = cluster >> per_block_bits, block, be;
	uint16_t v = htobe16(value);
	int ret;

	if (rti >= q->rt_entries || depth > 2)
		return -ENOSPC; /* growing the refcount table is not supported */
	block = q->rt[rti] & RT_OFFSET_MASK;
	if (!block) {
		/* A new refcount block at the end of the file; it counts itself when it covers
		 * itself. */
		block = q->file_end;
		q->file_end += q->cluster_size;
		ret = q_write_zero_cluster(q, block);
		if (ret)
			return ret;
		q->rt[rti] = block;
		be = htobe64(block);
		ret = q_pwrite(q, &be, 8, q->rt_offset + 8 * rti);
		if (!ret)
			ret = q_refcount_set(q, block >> q->cluster_bits, 1, depth + 1);
		if (ret)
			return ret;
	}
	return q_pwrite(q, &v, 2, block + 2 * (cluster & ((1ull << per_block_bits) - 1)));
}

/*
 * Where guest cluster `vaddr` lives in the file, allocating it (and its L2
 * table) when needed. A new cluster is filled with the old contents
 * (backing file or zeros) unless the write covers all of it.
 */
static int q_cluster_for_write(struct qcow2 *q, uint64_t vaddr, bool whole, uint64_t *host)
{
	uint64_t l1i = vaddr >> (q->cluster_bits + q->cluster_bits - 3);
	uint64_t eoff, e, l2, newc, be, base = vaddr & ~(q->cluster_size - 1);
	int ret = q_l2_entry(q, vaddr, &eoff, &e);

	if (ret)
		return ret;
	if ((e & L2_OFFSET_MASK) && (e & ENTRY_COPIED) && !(q->version >= 3 && (e & L2_ZERO))) {
		*host = e & L2_OFFSET_MASK;
		return 0;
	}
	if ((e & L2_OFFSET_MASK) && !(e & ENTRY_COPIED))
		return -EIO; /* shared cluster: only with snapshots, refused for writable images */
	if (!eoff) {
		ret = q_alloc_cluster(q, &l2, 0);
		if (!ret)
			ret = q_write_zero_cluster(q, l2);
		if (ret)
			return ret;
		q->l1[l1i] = l2 | ENTRY_COPIED;
		be = htobe64(q->l1[l1i]);
		ret = q_pwrite(q, &be, 8, q->l1_offset + 8 * l1i);
		if (ret)
			return ret;
		eoff = l2 + 8 * ((vaddr >> q->cluster_bits) & (q->l2_entries - 1));
	}
	ret = q_alloc_cluster(q, &newc, 0);
	if (ret)
		return ret;
	if (!whole) {
		if (q->version >= 3 && (e & L2_ZERO))
			memset(q->cbuf, 0, q->cluster_size);
		else
			ret = q_read_backing(q, base, q->cbuf, q->cluster_size);
		if (!ret)
			ret = q_pwrite(q, q->cbuf, q->cluster_size, newc);
		if (ret)
			return ret;
	}
	be = htobe64(newc | ENTRY_COPIED);
	ret = q_pwrite(q, &be, 8, eoff);
	if (ret)
		return ret;
	*host = newc;
	return 0;
}

static int qcow2_write(struct blk_backend *b, uint64_t off, const void *buf, size_t len)
{
	struct qcow2 *q = container_of(b, struct qcow2, b);
	const uint8_t *p = buf;

	while (len) {
		uint64_t in = off & (q->cluster_size - 1), host;
		size_t chunk = (size_t)MIN((uint64_t)len, q->cluster_size - in);
		int ret = q_cluster_for_write(q, off, chunk == q->cluster_size, &host);

		if (!ret)
			ret = q_pwrite(q, p, chunk, host + in);
		if (ret)
			return ret;
		off += chunk;
		p += chunk;
		len -= chunk;
	}
	return 0;
}

static int qcow2_flush(struct blk_backend *b)
{
	struct qcow2 *q = container_of(b, struct qcow2, b);

	return fdatasync(q->fd) ? -errno : 0;
}

/* Discard is advisory (5.2.6.2): the data stays, which is always correct. */
static int qcow2_discard(struct blk_backend *b, uint64_t off, uint64_t len)
{
	return 0;
}

static void qcow2_destroy(struct blk_backend *b)
{
	struct qcow2 *q = container_of(b, struct qcow2, b);

	blk_backend_destroy(q->backing);
	if (q->fd >= 0)
		close(q->fd);
	free(q->l1);
	free(q->rt);
	free(q->cbuf);
	free(q);
}

static const struct blk_backend_ops qcow2_ops = {
	.name = "qcow2",
	.read = qcow2_read,
	.write = qcow2_write,
	.flush = qcow2_flush,
	.discard = qcow2_discard,
	.destroy = qcow2_destroy,
};

static int q_open(int fd, const char *name, bool ro, unsigned depth, struct blk_backend **out,
		  struct verr *err);

/* A table [off, off+bytes) must be cluster-aligned and inside the file. */
static bool q_table_ok(const struct qcow2 *q, uint64_t off, uint64_t bytes, uint64_t file_size)
{
	return !(off & (q->cluster_size - 1)) && off <= file_size && bytes <= file_size - off;
}

/* Header extensions: refuse encryption and external data; note the backing format. */
static int q_read_extensions(struct qcow2 *q, const uint8_t *c, uint64_t start, uint64_t end,
			     char *fmt, size_t fmt_len, struct verr *err)
{
	uint64_t p = start;

	while (p + 8 <= end) {
		uint32_t type = get_be32(c + p), len = get_be32(c + p + 4);

		if (type == EXT_END)
			return 0;
		if (len > end - p - 8)
			return verr_set(err, EINVAL,
					"disk '%s': qcow2 header extension 0x%x overruns the "
					"header cluster",
					q->name, type);
		if (type == EXT_ENCRYPTION)
			return verr_set(err, ENOTSUP,
					"disk '%s': encrypted qcow2 images are not supported",
					q->name);
		if (type == EXT_DATA_FILE)
			return verr_set(err, ENOTSUP,
					"disk '%s': qcow2 external data files are not supported",
					q->name);
		if (type == EXT_BACKING_FORMAT) {
			size_t n = MIN((size_t)len, fmt_len - 1);

			memcpy(fmt, c + p + 8, n);
			fmt[n] = '\0';
		}
		p += 8 + (((uint64_t)len + 7) & ~7ull);
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool q_is_meta(const uint64_t *meta, size_t n, uint64_t cluster)
{
	return bsearch(&cluster, meta, n, sizeof(*meta), cmp_u64) != NULL;
}

/*
 * Every L1 and L2 entry: aligned, inside the file, not compressed; and no
 * data cluster on top of metadata (header, L1, refcount table and blocks,
 * L2 tables), or a guest write would corrupt the tables behind our back.
 */
static int q_check_tables(struct qcow2 *q, uint64_t file_size, struct verr *err)
{
	uint64_t l1_clusters = (8ull * q->l1_size + q->cluster_size - 1) >> q->cluster_bits;
	uint64_t rt_clusters = (8 * q->rt_entries) >> q->cluster_bits;
	size_t n = 0, cap = 1 + l1_clusters + rt_clusters + q->l1_size + q->rt_entries;
	uint64_t *meta = malloc(cap * sizeof(*meta));
	uint64_t *l2 = malloc(q->cluster_size);
	int ret = 0;

	if (!meta || !l2) {
		free(meta);
		free(l2);
		return -ENOMEM;
	}
	meta[n++] = 0;
	for (uint64_t i = 0; i < l1_clusters; i++)
		meta[n++] = q->l1_offset + (i << q->cluster_bits);
	for (uint64_t i = 0; i < rt_clusters; i++)
		meta[n++] = q->rt_offset + (i << q->cluster_bits);
	for (uint64_t i = 0; i < q->rt_entries; i++)
		if (q->rt[i] & RT_OFFSET_MASK)
			meta[n++] = q->rt[i] & RT_OFFSET_MASK;
	for (uint32_t i = 0; i < q->l1_size; i++) {
		uint64_t l2_off = q->l1[i] & L1_OFFSET_MASK;

		if (!l2_off)
			continue;
		if (!q_table_ok(q, l2_off, q->cluster_size, file_size)) {
			ret = verr_set(err, EINVAL,
				       "disk '%s': L1 entry %u points outside the image (0x%llx)",
				       q->name, i, (unsigned long long)l2_off);
			goto out;
		}
		meta[n++] = l2_off;
	}
	qsort(meta, n, sizeof(*meta), cmp_u64);
	for (size_t i = 1; i < n; i++)
		if (meta[i] == meta[i - 1]) {
			ret = verr_set(err, EINVAL,
				       "disk '%s': qcow2 metadata tables overlap at 0x%llx "
				       "(corrupt image)",
				       q->name, (unsigned long long)meta[i]);
			goto out;
		}
	for (uint32_t i = 0; i < q->l1_size && !ret; i++) {
		uint64_t l2_off = q->l1[i] & L1_OFFSET_MASK;

		if (!l2_off)
			continue;
		ret = q_pread(q, l2, q->cluster_size, l2_off);
		for (uint64_t j = 0; j < q->l2_entries && !ret; j++) {
			uint64_t e = be64toh(l2[j]), host = e & L2_OFFSET_MASK;

			if (e & L2_COMPRESSED)
				ret = verr_set(err, ENOTSUP,
					       "disk '%s': compressed clusters are not supported "
					       "(convert with qemu-img convert -O qcow2)",
					       q->name);
			else if (host && !q_table_ok(q, host, q->cluster_size, file_size))
				ret = verr_set(
					err, EINVAL,
					"disk '%s': L2 entry points outside the image (0x%llx)",
					q->name, (unsigned long long)host);
			else if (host && q_is_meta(meta, n, host))
				ret = verr_set(err, EINVAL,
					       "disk '%s': a data cluster overlaps qcow2 metadata "
					       "at 0x%llx (corrupt image)",
					       q->name, (unsigned long long)host);
		}
	}
out:
	free(meta);
	free(l2);
	return ret;
}

static int q_open_backing(struct qcow2 *q, const uint8_t *c, uint64_t boff, uint32_t blen,
			  const char *fmt, unsigned depth, struct verr *err)
{
	char path[PATH_MAX], bname[1024];
	const char *slash = strrchr(q->name, '/');
	uint8_t magic[4] = {0};
	int fd;

	if (depth >= QCOW2_MAX_BACKING_DEPTH)
		return verr_set(err, ELOOP, "disk '%s': backing chain deeper than %d", q->name,
				QCOW2_MAX_BACKING_DEPTH);
	memcpy(bname, c + boff, blen);
	bname[blen] = '\0';
	if (strlen(bname) != blen)
		return verr_set(err, EINVAL, "disk '%s': backing file name contains a NUL byte",
				q->name);
	/* A relative name is relative to the overlay's directory, as in QEMU. */
	if (bname[0] == '/' || !slash)
		snprintf(path, sizeof(path), "%s", bname);
	else
		snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - q->name), q->name, bname);
	if (fmt[0] && strcmp(fmt, "raw") && strcmp(fmt, "qcow2"))
		return verr_set(
			err, ENOTSUP,
			"disk '%s': backing file format '%s' is not supported (raw or qcow2)",
			q->name, fmt);
	fd = open(path, O_RDONLY | O_CLOEXEC); /* never written */
	if (fd < 0)
		return verr_set(err, errno, "disk '%s': backing file '%s': %s", q->name, path,
				strerror(errno));
	if (pread(fd, magic, 4, 0) < 0)
		magic[0] = 0;
	if (!strcmp(fmt, "qcow2") || (!fmt[0] && get_be32(magic) == QCOW2_MAGIC))
		return q_open(fd, path, true, depth + 1, &q->backing, err);
	return raw_backend_open_fd(fd, path, true, &q->backing, err);
}

static int q_open(int fd, const char *name, bool ro, unsigned depth, struct blk_backend **out,
		  struct verr *err)
{
	struct qcow2 *q = calloc(1, sizeof(*q));
	uint8_t *c = NULL;
	char fmt[32] = "";
	struct stat st;
	uint64_t hlen, incompat = 0, boff, l1_need, size;
	uint32_t blen;
	int ret;

	if (!q) {
		close(fd);
		return -ENOMEM;
	}
	q->fd = fd;
	snprintf(q->name, sizeof(q->name), "%s", name);
	if (fstat(fd, &st)) {
		ret = verr_set(err, errno, "disk '%s': %s", name, strerror(errno));
		goto fail;
	}
	c = calloc(1, 1u << QCOW2_MIN_CLUSTER_BITS);
	if (!c) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = q_pread(q, c, 1u << QCOW2_MIN_CLUSTER_BITS, 0);
	if (ret)
		goto fail_io;
	q->version = get_be32(c + H_VERSION);
	q->cluster_bits = get_be32(c + H_CLUSTER_BITS);
	if (get_be32(c + H_MAGIC) != QCOW2_MAGIC || (q->version != 2 && q->version != 3)) {
		ret = verr_set(err, EINVAL, "disk '%s': not a qcow2 image of version 2 or 3", name);
		goto fail;
	}
	if (q->cluster_bits < QCOW2_MIN_CLUSTER_BITS || q->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
		ret = verr_set(err, EINVAL, "disk '%s': qcow2 cluster_bits %u out of range (9..21)",
			       name, q->cluster_bits);
		goto fail;
	}
	q->cluster_size = 1ull << q->cluster_bits;
	q->l2_entries = q->cluster_size / 8;
	/* The whole first cluster: header, extensions, backing name. */
	free(c);
	c = calloc(1, q->cluster_size);
	q->cbuf = malloc(q->cluster_size);
	if (!c || !q->cbuf) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = q_pread(q, c, q->cluster_size, 0);
	if (ret)
		goto fail_io;
	hlen = H_V2_LENGTH;
	if (q->version == 3) {
		hlen = get_be32(c + H_HEADER_LENGTH);
		incompat = get_be64(c + H_INCOMPAT);
		if (hlen < H_V3_MIN_LENGTH || hlen > q->cluster_size) {
			ret = verr_set(err, EINVAL, "disk '%s': qcow2 header length %llu invalid",
				       name, (unsigned long long)hlen);
			goto fail;
		}
		if (incompat & (INCOMPAT_DIRTY | INCOMPAT_CORRUPT)) {
			ret = verr_set(err, EINVAL,
				       "disk '%s': qcow2 image is marked %s (repair it with "
				       "qemu-img check -r all)",
				       name, incompat & INCOMPAT_CORRUPT ? "corrupt" : "dirty");
			goto fail;
		}
		if (incompat & INCOMPAT_DATA_FILE) {
			ret = verr_set(err, ENOTSUP,
				       "disk '%s': qcow2 external data files are not supported",
				       name);
			goto fail;
		}
		if (incompat & ~(INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE)) {
			ret = verr_set(
				err, ENOTSUP,
				"disk '%s': qcow2 incompatible features 0x%llx are not supported",
				name, (unsigned long long)incompat);
			goto fail;
		}
		if (get_be32(c + H_REFCOUNT_ORDER) != 4) {
			ret = verr_set(err, ENOTSUP,
				       "disk '%s': qcow2 refcount width %u bits is not supported "
				       "(16 only)",
				       name, 1u << MIN(get_be32(c + H_REFCOUNT_ORDER), 31u));
			goto fail;
		}
	}
	if (get_be32(c + H_CRYPT)) {
		ret = verr_set(err, ENOTSUP, "disk '%s': encrypted qcow2 images are not supported",
			       name);
		goto fail;
	}
	if (get_be32(c + H_NB_SNAPSHOTS) && !ro) {
		ret = verr_set(err, ENOTSUP,
			       "disk '%s': qcow2 images with internal snapshots can only be used "
			       "read-only",
			       name);
		goto fail;
	}
	size = get_be64(c + H_SIZE);
	if (size > QCOW2_MAX_SIZE) {
		ret = verr_set(err, EINVAL, "disk '%s': qcow2 virtual size %llu is too large", name,
			       (unsigned long long)size);
		goto fail;
	}
	q->l1_size = get_be32(c + H_L1_SIZE);
	q->l1_offset = get_be64(c + H_L1_OFFSET);
	l1_need = (size + (q->cluster_size * q->l2_entries) - 1) >> (2 * q->cluster_bits - 3);
	if (q->l1_size < l1_need || 8ull * q->l1_size > QCOW2_MAX_TABLE_BYTES ||
	    !q_table_ok(q, q->l1_offset, 8ull * q->l1_size, (uint64_t)st.st_size)) {
		ret = verr_set(err, EINVAL,
			       "disk '%s': qcow2 L1 table (offset 0x%llx, %u entries) is invalid",
			       name, (unsigned long long)q->l1_offset, q->l1_size);
		goto fail;
	}
	q->rt_offset = get_be64(c + H_RT_OFFSET);
	q->rt_entries = (uint64_t)get_be32(c + H_RT_CLUSTERS) * q->l2_entries;
	if (!q->rt_entries || 8 * q->rt_entries > QCOW2_MAX_TABLE_BYTES ||
	    !q_table_ok(q, q->rt_offset, 8 * q->rt_entries, (uint64_t)st.st_size)) {
		ret = verr_set(err, EINVAL, "disk '%s': qcow2 refcount table is invalid", name);
		goto fail;
	}
	q->l1 = calloc(q->l1_size ? q->l1_size : 1, 8);
	q->rt = calloc(q->rt_entries, 8);
	if (!q->l1 || !q->rt) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = q_pread(q, q->l1, 8ull * q->l1_size, q->l1_offset);
	if (!ret)
		ret = q_pread(q, q->rt, 8 * q->rt_entries, q->rt_offset);
	if (ret)
		goto fail_io;
	for (uint32_t i = 0; i < q->l1_size; i++)
		q->l1[i] = be64toh(q->l1[i]);
	for (uint64_t i = 0; i < q->rt_entries; i++) {
		q->rt[i] = be64toh(q->rt[i]);
		if ((q->rt[i] & RT_OFFSET_MASK) &&
		    !q_table_ok(q, q->rt[i] & RT_OFFSET_MASK, q->cluster_size,
				(uint64_t)st.st_size)) {
			ret = verr_set(
				err, EINVAL,
				"disk '%s': qcow2 refcount block %llu lies outside the image", name,
				(unsigned long long)i);
			goto fail;
		}
	}
	ret = q_check_tables(q, (uint64_t)st.st_size, err);
	if (ret)
		goto fail;
	boff = get_be64(c + H_BACKING_OFFSET);
	blen = get_be32(c + H_BACKING_SIZE);
	ret = q_read_extensions(q, c, hlen, boff ? MIN(boff, q->cluster_size) : q->cluster_size,
				fmt, sizeof(fmt), err);
	if (ret)
		goto fail;
	if (boff) {
		if (blen == 0 || blen > 1023 || boff < hlen || boff > q->cluster_size ||
		    blen > q->cluster_size - boff) {
			ret = verr_set(err, EINVAL, "disk '%s': qcow2 backing file name is invalid",
				       name);
			goto fail;
		}
		ret = q_open_backing(q, c, boff, blen, fmt, depth, err);
		if (ret)
			goto fail;
	}
	q->file_end = ((uint64_t)st.st_size + q->cluster_size - 1) & ~(q->cluster_size - 1);
	q->b = (struct blk_backend){.ops = &qcow2_ops, .size = size, .ro = ro};
	free(c);
	*out = &q->b;
	return 0;
fail_io:
	ret = verr_set(err, -ret, "disk '%s': %s", name, strerror(-ret));
fail:
	free(c);
	qcow2_destroy(&q->b);
	return ret;
}

int qcow2_backend_open_fd(int fd, const char *name, bool ro, struct blk_backend **out,
			  struct verr *err)
{
	return q_open(fd, name, ro, 0, out, err);
}

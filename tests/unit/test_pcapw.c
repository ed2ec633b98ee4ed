// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* user/pcapw.c, the file sink of user/capsink.c and the record checks of
 * user/capread.c: files written, then read back with libpcap (which reads
 * pcapng too) and walked block by block. */
#include <errno.h>
#include <sys/stat.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>

#include "tests/unit/unit_util.h"
#include "user/capread.h"
#include "user/capsink.h"
#include "user/pcapw.h"

#define NPKT 4

static __u8 frames[NPKT][300];
static const __u32 wire[NPKT] = { 60, 300, 1514, 9000 };
static const __u32 cap[NPKT] = { 60, 300, 200, 300 };
static const __u64 ts[NPKT] = { 1700000000123456789ull, 1700000000123456790ull,
				1700000001000000000ull, 1700000001999999999ull };

struct tmp {
	char path[64];
};

static void tmp_path(struct tmp *t, const char *ext)
{
	int fd;

	snprintf(t->path, sizeof(t->path), "/tmp/xtap-pcapw-XXXXXX");
	fd = mkstemp(t->path);
	assert_true(fd >= 0);
	close(fd);
	unlink(t->path);
	strncat(t->path, ext, sizeof(t->path) - strlen(t->path) - 1);
}

static void write_all(const char *path, enum xtap_pcapw_fmt fmt)
{
	char err[256] = "";
	struct xtap_pcapw *w = xtap_pcapw_open(path, fmt, 4096, err, sizeof(err));
	int ifs[2];

	if (!w)
		fail_msg("open %s: %s", path, err);
	ifs[0] = xtap_pcapw_iface(w, "veth0@xdp");
	ifs[1] = xtap_pcapw_iface(w, "veth0@tc-egress");
	assert_int_equal(xtap_pcapw_iface(w, "veth0@xdp"), ifs[0]);
	if (fmt == XTAP_PCAPNG) {
		assert_int_equal(ifs[0], 0);
		assert_int_equal(ifs[1], 1);
	}
	for (int i = 0; i < NPKT; i++) {
		for (int k = 0; k < 300; k++)
			frames[i][k] = (__u8)(i * 31 + k);
		struct xtap_pcapw_pkt p = {
			.ts_ns = ts[i], .wire_len = wire[i], .cap_len = cap[i], .data = frames[i],
			.iface = (__u32)ifs[i % 2], .dir = i % 2 ? XTAP_PCAPW_OUT : XTAP_PCAPW_IN,
			.comment = i == 3 ? NULL : "hook xdp, flow direction ab",
		};
		assert_int_equal(xtap_pcapw_write(w, &p), 0);
		if (i == 1) {
			assert_int_equal(xtap_pcapw_pending(w), 2);
			assert_int_equal(xtap_pcapw_flush(w), 0);
			assert_int_equal(xtap_pcapw_written(w), 2);
		}
	}
	assert_int_equal(xtap_pcapw_close(w), 0);
}

static void read_back(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	struct pcap_pkthdr *h;
	const u_char *d;
	struct stat sb;
	int i = 0, rc;

	if (!p)
		fail_msg("libpcap cannot read %s: %s", path, err);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		assert_true(i < NPKT);
		assert_int_equal(h->caplen, cap[i]);
		assert_int_equal(h->len, wire[i]);
		assert_int_equal((__u64)h->ts.tv_sec, ts[i] / 1000000000ull);
		assert_int_equal((__u64)h->ts.tv_usec, ts[i] % 1000000000ull);
		assert_memory_equal(d, frames[i], cap[i]);
		i++;
	}
	assert_int_equal(rc, PCAP_ERROR_BREAK);
	assert_int_equal(i, NPKT);
	pcap_close(p);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void test_pcap_read_back(void **state)
{
	struct tmp t;

	(void)state;
	tmp_path(&t, ".pcap");
	write_all(t.path, XTAP_PCAP);
	read_back(t.path);
	unlink(t.path);
}

static __u32 get32(const __u8 *p)
{
	__u32 v;

	memcpy(&v, p, 4);
	return v;
}

/* Walk the blocks: lengths agree at both ends, then the options of each
 * interface and packet block. */
static void test_pcapng_read_back(void **state)
{
	struct tmp t;
	__u8 buf[16384];
	size_t len, off = 0;
	int idb = 0, epb = 0, shb = 0, comments = 0;
	FILE *f;

	(void)state;
	tmp_path(&t, ".pcapng");
	write_all(t.path, XTAP_PCAPNG);
	read_back(t.path);

	f = fopen(t.path, "rb");
	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	unlink(t.path);
	while (off < len) {
		__u32 type = get32(buf + off), blen = get32(buf + off + 4);
		size_t o, end;

		assert_true(blen >= 12 && blen % 4 == 0 && off + blen <= len);
		assert_int_equal(get32(buf + off + blen - 4), blen);
		if (type == 0x0A0D0D0A) {
			shb++;
			assert_int_equal(get32(buf + off + 8), 0x1A2B3C4D);
		} else if (type == 1) {
			/* if_name then if_tsresol 9 */
			o = off + 16;
			assert_int_equal(buf[o] | buf[o + 1] << 8, 2);
			assert_memory_equal(buf + o + 4, idb ? "veth0@tc-egress" : "veth0@xdp",
					    idb ? 15 : 9);
			o += 4 + ((buf[o + 2] | buf[o + 3] << 8) + 3) / 4 * 4;
			assert_int_equal(buf[o] | buf[o + 1] << 8, 9);
			assert_int_equal(buf[o + 4], 9);
			idb++;
		} else if (type == 6) {
			__u32 iface = get32(buf + off + 8), caplen = get32(buf + off + 20);
			int flags = -1;

			assert_int_equal(iface, (__u32)(epb % 2));
			o = off + 28 + (caplen + 3) / 4 * 4;
			end = off + blen - 4;
			while (o + 4 <= end) {
				__u16 code = buf[o] | buf[o + 1] << 8, ol = buf[o + 2] | buf[o + 3] << 8;

				if (code == 0)
					break;
				if (code == 2)
					flags = (int)get32(buf + o + 4);
				if (code == 1) {
					assert_int_equal(ol, 27);
					assert_memory_equal(buf + o + 4, "hook xdp, flow direction ab", 27);
					comments++;
				}
				o += 4 + (ol + 3u) / 4 * 4;
			}
			assert_int_equal(flags, epb % 2 ? 2 : 1);	/* outbound, inbound */
			epb++;
		} else {
			fail_msg("unexpected block type %#x", type);
		}
		off += blen;
	}
	assert_int_equal(shb, 1);
	assert_int_equal(idb, 2);
	assert_int_equal(epb, NPKT);
	assert_int_equal(comments, NPKT - 1);
}

/* No room on the device: open reports it, and nothing is left half done. */
static void test_write_error(void **state)
{
	char err[256] = "";
	struct xtap_pcapw *w;

	(void)state;
	w = xtap_pcapw_open("/dev/full", XTAP_PCAP, 100, err, sizeof(err));
	assert_null(w);
	assert_string_equal(err, strerror(ENOSPC));
	w = xtap_pcapw_open("/nonexistent/dir/x.pcap", XTAP_PCAPNG, 100, err, sizeof(err));
	assert_null(w);
	assert_string_equal(err, strerror(ENOENT));
}

/* Ring records are checked before use. */
static void test_record_checks(void **state)
{
	struct {
		struct xtap_capture_rec h;
		__u8 data[64];
	} r = { .h = { .version = XTAP_CAPTURE_VERSION, .hook = XTAP_HOOK_TC_EGRESS,
		       .flow_dir = XTAP_DIR_BA, .slot = 3, .wire_len = 1500, .cap_len = 64 } };
	size_t full = sizeof(r.h) + 64;

	(void)state;
	assert_int_equal(xtap_capread_rec_check(&r, full), 0);
	assert_int_equal(xtap_capread_rec_check(&r, full - 1), -EINVAL);	/* bytes missing */
	assert_int_equal(xtap_capread_rec_check(&r, sizeof(r.h) - 1), -EINVAL);
	r.h.version = XTAP_CAPTURE_VERSION + 1;
	assert_int_equal(xtap_capread_rec_check(&r, full), -EINVAL);
	r.h.version = XTAP_CAPTURE_VERSION - 1;	/* the layout before cgroup_id */
	assert_int_equal(xtap_capread_rec_check(&r, full), -EINVAL);
	r.h.version = XTAP_CAPTURE_VERSION;
	r.h.hook = XTAP_HOOK_MAX;
	assert_int_equal(xtap_capread_rec_check(&r, full), -EINVAL);
	r.h.hook = 0;
	r.h.slot = XTAP_MAX_SLOTS;
	assert_int_equal(xtap_capread_rec_check(&r, full), -EINVAL);
	r.h.slot = 0;
	r.h.wire_len = 63;	/* fewer on the wire than captured */
	assert_int_equal(xtap_capread_rec_check(&r, full), -EINVAL);
	r.h.wire_len = 64;
	r.h.cap_len = 0;
	assert_int_equal(xtap_capread_rec_check(&r, full), -EINVAL);
	r.h.cap_len = 64;
	r.h.flow_dir = 7;
	assert_int_equal(xtap_capread_rec_check(&r, full), -EINVAL);
	r.h.flow_dir = XTAP_CAPTURE_NO_FLOW;
	assert_int_equal(xtap_capread_rec_check(&r, full), 0);
}

/* Names of rotated files, as tcpdump's -C and -W. */
static void test_file_names(void **state)
{
	char b[64];

	(void)state;
	xtap_capsink_file_name("x.pcap", 0, 0, b, sizeof(b));
	assert_string_equal(b, "x.pcap");
	xtap_capsink_file_name("x.pcap", 12, 0, b, sizeof(b));
	assert_string_equal(b, "x.pcap12");
	xtap_capsink_file_name("x", 0, 3, b, sizeof(b));
	assert_string_equal(b, "x0");
	xtap_capsink_file_name("x", 4, 3, b, sizeof(b));
	assert_string_equal(b, "x1");
	xtap_capsink_file_name("x", 7, 10, b, sizeof(b));
	assert_string_equal(b, "x7");
	xtap_capsink_file_name("x", 7, 11, b, sizeof(b));
	assert_string_equal(b, "x07");
	xtap_capsink_file_name("x", 1005, 1000, b, sizeof(b));
	assert_string_equal(b, "x005");
}

/* Many packets kept by reference (written from where they lie, more pieces
 * than one writev takes), some copied, both formats: libpcap reads back
 * every one, in order, byte for byte. */
static void test_keep_many(void **state)
{
	enum { N = 3000, LEN = 1000 };
	__u8 *buf = malloc((size_t)N * LEN);
	enum xtap_pcapw_fmt fmts[] = { XTAP_PCAP, XTAP_PCAPNG };

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < (size_t)N * LEN; i++)
		buf[i] = (__u8)(i * 7 + i / LEN);
	for (int f = 0; f < 2; f++) {
		char err[PCAP_ERRBUF_SIZE] = "";
		struct pcap_pkthdr *h;
		const u_char *d;
		struct xtap_pcapw *w;
		struct tmp t;
		pcap_t *pc;
		int i = 0;

		tmp_path(&t, fmts[f] == XTAP_PCAP ? ".pcap" : ".pcapng");
		w = xtap_pcapw_open(t.path, fmts[f], 65535, err, sizeof(err));
		assert_non_null(w);
		if (fmts[f] == XTAP_PCAPNG)
			assert_int_equal(xtap_pcapw_iface(w, "veth0@xdp"), 0);
		for (i = 0; i < N; i++) {
			struct xtap_pcapw_pkt p = {
				.ts_ns = 1700000000000000000ull + (__u64)i, .wire_len = LEN + 10,
				.cap_len = i % 5 ? LEN : 100, .data = buf + (size_t)i * LEN,
				.comment = "hook xdp, no flow", .keep = i % 7 != 0,
			};

			assert_int_equal(xtap_pcapw_write(w, &p), 0);
			if (i == N / 2)
				assert_int_equal(xtap_pcapw_flush(w), 0);
		}
		assert_int_equal(xtap_pcapw_close(w), 0);
		pc = pcap_open_offline_with_tstamp_precision(t.path, PCAP_TSTAMP_PRECISION_NANO, err);
		if (!pc)
			fail_msg("%s: %s", t.path, err);
		for (i = 0; pcap_next_ex(pc, &h, &d) == 1; i++) {
			assert_true(i < N);
			assert_int_equal(h->caplen, i % 5 ? LEN : 100);
			assert_int_equal(h->len, LEN + 10);
			assert_int_equal(h->ts.tv_usec, i);	/* nanoseconds */
			assert_memory_equal(d, buf + (size_t)i * LEN, h->caplen);
		}
		assert_int_equal(i, N);
		pcap_close(pc);
		unlink(t.path);
	}
	free(buf);
}

/* A capture record with len bytes of data. */
struct rec {
	struct xtap_capture_rec h;
	__u8 data[1000];
};

static void rec_fill(struct rec *r, __u32 i, int hook, __u32 slot)
{
	memset(r, 0, sizeof(*r));
	r->h = (struct xtap_capture_rec){ .version = XTAP_CAPTURE_VERSION, .hook = (__u8)hook,
					  .slot = (__u8)slot, .wire_len = 1200, .cap_len = 1000,
					  .ts_ns = 1000 + i, .flow_dir = XTAP_CAPTURE_NO_FLOW };
	memset(r->data, (int)i, sizeof(r->data));
}

/* Packets in path, each 1000 of 1200 bytes. */
static int sink_read(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
	int n = 0;

	if (!pc)
		fail_msg("%s: %s", path, err);
	while (pcap_next_ex(pc, &h, &d) == 1) {
		assert_int_equal(h->caplen, 1000);
		assert_int_equal(h->len, 1200);
		n++;
	}
	pcap_close(pc);
	return n;
}

/* The sink: -C 3000 bytes with -W 3 makes base0 base1 base2, the oldest
 * overwritten; the limit stops it at 10 packets. */
static void test_sink_rotation(void **state)
{
	struct xtap_capsink_counts c;
	struct xtap_capsink *s;
	char err[256] = "", name[128];
	struct rec r[12];
	struct tmp t;
	int total = 0;

	(void)state;
	tmp_path(&t, "");
	s = xtap_capsink_open(&(struct xtap_capsink_opts){
		.path = t.path, .fmt = XTAP_PCAPNG, .snaplen = 2000, .limit = 10,
		.rotate_bytes = 3000, .rotate_files = 3 }, err, sizeof(err));
	if (!s)
		fail_msg("%s", err);
	xtap_capsink_name(s, 2, "veth0");
	for (__u32 i = 0; i < 12; i++) {
		rec_fill(&r[i], i, i & 1 ? XTAP_HOOK_TC_EGRESS : XTAP_HOOK_XDP, i < 6 ? 2 : 5);
		xtap_capsink_put(s, &r[i].h);
		if (i % 2)
			assert_int_equal(xtap_capsink_flush(s), 0);
	}
	assert_int_equal(xtap_capsink_flush(s), 0);
	assert_true(xtap_capsink_done(s));
	xtap_capsink_counts(s, &c);
	assert_int_equal(c.written, 10);
	assert_int_equal(c.over_limit, 2);
	assert_int_equal(c.unwritten, 0);
	snprintf(name, sizeof(name), "%s0", t.path);
	assert_string_equal(xtap_capsink_path(s), name);	/* file 3 is file 0 again */
	assert_int_equal(xtap_capsink_close(s), 0);
	for (int f = 0; f < 4; f++) {
		snprintf(name, sizeof(name), "%s%d", t.path, f);
		if (f == 3) {
			assert_int_equal(access(name, F_OK), -1);
			break;
		}
		total += sink_read(name);
		unlink(name);
	}
	/* files 0 to 3 held 3 packets each, file 3 the last one: reused 0 */
	assert_int_equal(total, 3 + 3 + 1);
}

/* pcapng from the sink: an interface per (slot, hook) named after the slot
 * (slotN without a name), described before its first packet; a comment
 * with the hook and the flow. */
static void test_sink_pcapng_blocks(void **state)
{
	struct xtap_capsink *s;
	char err[256] = "", out[1024] = "";
	__u8 buf[16384];
	size_t len, off = 0;
	struct rec r[3];
	struct tmp t;
	FILE *f;

	(void)state;
	tmp_path(&t, ".pcapng");
	s = xtap_capsink_open(&(struct xtap_capsink_opts){ .path = t.path, .fmt = XTAP_PCAPNG,
							    .snaplen = 2000 }, err, sizeof(err));
	assert_non_null(s);
	xtap_capsink_name(s, 1, "eth1");
	rec_fill(&r[0], 0, XTAP_HOOK_XDP, 1);
	rec_fill(&r[1], 1, XTAP_HOOK_TC_EGRESS, 1);
	r[1].h.flow_id = 0xabcdef;
	r[1].h.flow_dir = XTAP_DIR_BA;
	rec_fill(&r[2], 2, XTAP_HOOK_TC_INGRESS, 4);
	for (int i = 0; i < 3; i++)
		xtap_capsink_put(s, &r[i].h);
	assert_int_equal(xtap_capsink_close(s), 0);
	assert_int_equal(sink_read(t.path), 3);
	f = fopen(t.path, "rb");
	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	unlink(t.path);
	/* the interface names and packet comments, in file order */
	while (off < len) {
		__u32 type = get32(buf + off), blen = get32(buf + off + 4);
		size_t o = type == 1 ? off + 16 : off + 28 + (get32(buf + off + 20) + 3) / 4 * 4;

		assert_true(blen >= 12 && off + blen <= len);
		while ((type == 1 || type == 6) && o + 4 <= off + blen - 4) {
			__u16 code = buf[o] | buf[o + 1] << 8, ol = buf[o + 2] | buf[o + 3] << 8;

			if (code == 0)
				break;
			if ((type == 1 && code == 2) || (type == 6 && code == 1))
				snprintf(out + strlen(out), sizeof(out) - strlen(out), "%.*s\n", ol,
					 (const char *)buf + o + 4);
			o += 4 + (ol + 3u) / 4 * 4;
		}
		off += blen;
	}
	assert_string_equal(out, "eth1@xdp\nhook xdp, no flow\neth1@tc-egress\n"
			    "hook tc-egress, flow 0000000000abcdef, direction ba\n"
			    "slot4@tc-ingress\nhook tc-ingress, no flow\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcap_read_back),
		cmocka_unit_test(test_pcapng_read_back),
		cmocka_unit_test(test_keep_many),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_record_checks),
		cmocka_unit_test(test_file_names),
		cmocka_unit_test(test_sink_rotation),
		cmocka_unit_test(test_sink_pcapng_blocks),
	};

	return cmocka_run_group_tests_name("pcapw", tests, NULL, NULL);
}

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* user/report.c: flows and counters as JSON and as tables. */
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/unit_util.h"
#include "user/cgroup.h"
#include "user/query.h"
#include "user/report.h"

static void v4(__u8 a[16], __u8 x, __u8 y, __u8 z, __u8 w)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = x;
	a[13] = y;
	a[14] = z;
	a[15] = w;
}

/* 10.0.0.1:443 (a, the server) <- 10.0.0.2:51000 (b, the client, SYN sender) */
static struct xtap_flow_entry tcp_entry(void)
{
	struct xtap_flow_entry e;

	memset(&e, 0, sizeof(e));
	v4(e.key.addr_a, 10, 0, 0, 1);
	v4(e.key.addr_b, 10, 0, 0, 2);
	e.key.port_a = 443;
	e.key.port_b = 51000;
	e.key.vlan = 42;
	e.key.proto = IPPROTO_TCP;
	e.key.ip_version = 4;
	e.val.first_ns = 1700000000123456789ull;
	e.val.last_ns = 1700000002623456789ull;
	e.val.pkts[XTAP_DIR_AB] = 7;
	e.val.pkts[XTAP_DIR_BA] = 11;
	e.val.bytes[XTAP_DIR_AB] = 90000;
	e.val.bytes[XTAP_DIR_BA] = 1234;
	e.val.tcp_flags[XTAP_DIR_AB] = 0x12 | 0x08 | 0x01;	/* SA P F */
	e.val.tcp_flags[XTAP_DIR_BA] = 0x02 | 0x10 | 0x04;	/* S A R */
	e.val.syn[XTAP_DIR_AB] = 1;
	e.val.syn[XTAP_DIR_BA] = 2;
	e.val.fin[XTAP_DIR_AB] = 1;
	e.val.rst[XTAP_DIR_BA] = 3;
	e.val.initiator = XTAP_DIR_BA;
	e.val.initiator_syn = 1;
	e.val.first_point = 5;
	return e;
}

/* ICMP echo 192.168.1.1 (a) <-> 192.168.1.9 (b), id 0x1234, first seen from a */
static struct xtap_flow_entry icmp_entry(void)
{
	struct xtap_flow_entry e;

	memset(&e, 0, sizeof(e));
	v4(e.key.addr_a, 192, 168, 1, 1);
	v4(e.key.addr_b, 192, 168, 1, 9);
	e.key.port_a = 0x1234;
	e.key.port_b = 8 << 8 | 0;
	e.key.proto = IPPROTO_ICMP;
	e.key.ip_version = 4;
	e.val.first_ns = 1000;
	e.val.last_ns = 3000;
	e.val.pkts[0] = 3;
	e.val.pkts[1] = 2;
	e.val.bytes[0] = 294;
	e.val.bytes[1] = 196;
	e.val.initiator = XTAP_DIR_AB;
	e.val.initiator_syn = 0;
	return e;
}

/* 2001:db8::1 port 53 (a) <- 2001:db8::a port 40000 (b), UDP */
static struct xtap_flow_entry udp6_entry(void)
{
	struct xtap_flow_entry e;

	memset(&e, 0, sizeof(e));
	e.key.addr_a[0] = 0x20;
	e.key.addr_a[1] = 0x01;
	e.key.addr_a[2] = 0x0d;
	e.key.addr_a[3] = 0xb8;
	memcpy(e.key.addr_b, e.key.addr_a, 16);
	e.key.addr_a[15] = 1;
	e.key.addr_b[15] = 0xa;
	e.key.port_a = 53;
	e.key.port_b = 40000;
	e.key.proto = IPPROTO_UDP;
	e.key.ip_version = 6;
	e.val.first_ns = 5000000000ull;
	e.val.last_ns = 5000000000ull;
	e.val.pkts[1] = 1;
	e.val.bytes[1] = 80;
	e.val.initiator = XTAP_DIR_BA;
	return e;
}

static char *flow_json(const struct xtap_flow_entry *e, __s64 off)
{
	struct mem_out m;
	struct json j;
	char *s;

	json_init(&j, mem_open(&m));
	xtap_flow_json(&j, e, off);
	s = mem_done(&m);
	assert_true(json_valid(s));
	return s;
}

static void test_flow_json_tcp(void **state)
{
	struct xtap_flow_entry e = tcp_entry();
	char *s = flow_json(&e, 0);

	(void)state;
	assert_contains(s, "{\"proto\":\"tcp\",\"ip_version\":4,\"vlan\":42,");
	assert_contains(s, "\"a\":{\"addr\":\"10.0.0.1\",\"port\":443}");
	assert_contains(s, "\"b\":{\"addr\":\"10.0.0.2\",\"port\":51000}");
	assert_contains(s, "\"initiator\":\"b\"");
	assert_contains(s, "\"initiator_by\":\"syn\"");
	{
		/* the id captures put in their pcapng comments */
		char id[64];

		snprintf(id, sizeof(id), "\"flow_id\":\"%016llx\"",
			 (unsigned long long)xtap_flow_id(&e.key));
		assert_contains(s, id);
		assert_int_not_equal(xtap_flow_id(&e.key), 0);
	}
	assert_contains(s, "\"packets_ab\":7,\"bytes_ab\":90000,\"packets_ba\":11,\"bytes_ba\":1234");
	assert_contains(s, "\"first_ns\":1700000000123456789,\"last_ns\":1700000002623456789");
	assert_contains(s, "\"tcp_flags_ab\":\"FSPA\",\"syn_ab\":1,\"fin_ab\":1,\"rst_ab\":0");
	assert_contains(s, "\"tcp_flags_ba\":\"SRA\",\"syn_ba\":2,\"fin_ba\":0,\"rst_ba\":3");
	assert_contains(s, "\"first_point\":5,\"cgroup\":null,\"socket_cookie\":null}");
	assert_not_contains(s, "icmp");
	free(s);
}

/* A flow with a local socket: its cgroup's id and path below the root (a
 * directory tree standing in for the cgroup2 mount), and the cookie; a
 * cgroup removed since keeps its id, the path null. */
static void test_flow_json_cgroup(void **state)
{
	char root[] = "/tmp/xtap-cg-XXXXXX", dir[64], *s;
	struct xtap_flow_entry e = tcp_entry();
	struct stat sb;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/system.slice", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(dir, sizeof(dir), "%s/system.slice/web.service", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(stat(dir, &sb), 0);
	xtap_cgroup_set_root(root);
	e.val.cgroup_id = sb.st_ino;
	e.val.sock_cookie = 4242;
	e.val.owner = XTAP_OWNER_EGRESS;
	s = flow_json(&e, 0);
	{
		char want[128];

		snprintf(want, sizeof(want),
			 "\"cgroup\":{\"id\":%llu,\"path\":\"/system.slice/web.service\"},"
			 "\"socket_cookie\":4242}", (unsigned long long)sb.st_ino);
		assert_contains(s, want);
	}
	free(s);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/system.slice", root);
	rmdir(dir);
	rmdir(root);
	xtap_cgroup_set_root(root);	/* forget the walk: the id is gone now */
	s = flow_json(&e, 0);
	assert_contains(s, "\"path\":null},\"socket_cookie\":4242}");
	free(s);
	xtap_cgroup_set_root(NULL);
}

static void test_flow_json_icmp(void **state)
{
	struct xtap_flow_entry e = icmp_entry();
	char *s = flow_json(&e, 0);

	(void)state;
	assert_contains(s, "\"proto\":\"icmp\"");
	/* ICMP endpoints have no ports: the "ports" are id and type/code */
	assert_contains(s, "\"a\":{\"addr\":\"192.168.1.1\"},\"b\":{\"addr\":\"192.168.1.9\"}");
	assert_contains(s, "\"icmp_id\":4660,\"icmp_type\":8,\"icmp_code\":0");
	assert_contains(s, "\"initiator\":\"a\",\"initiator_by\":\"first-seen\"");
	assert_contains(s, "\"packets_ab\":3,\"bytes_ab\":294,\"packets_ba\":2,\"bytes_ba\":196");
	assert_not_contains(s, "\"port\"");
	assert_not_contains(s, "tcp_flags");
	assert_not_contains(s, "syn_");
	free(s);

	/* type and code split from port_b: destination unreachable, port (3/3) */
	e.key.port_a = 0;
	e.key.port_b = 3 << 8 | 3;
	s = flow_json(&e, 0);
	assert_contains(s, "\"icmp_id\":0,\"icmp_type\":3,\"icmp_code\":3");
	free(s);
}

static void test_flow_json_ipv6_and_offset(void **state)
{
	struct xtap_flow_entry e = udp6_entry();
	char *s = flow_json(&e, -4000000000ll);

	(void)state;
	assert_contains(s, "\"proto\":\"udp\",\"ip_version\":6,\"vlan\":0");
	assert_contains(s, "\"a\":{\"addr\":\"2001:db8::1\",\"port\":53}");
	assert_contains(s, "\"b\":{\"addr\":\"2001:db8::a\",\"port\":40000}");
	assert_contains(s, "\"first_ns\":1000000000,\"last_ns\":1000000000");
	free(s);

	/* an unnamed protocol prints its number and has no ports */
	e.key.proto = 132 + 1;
	s = flow_json(&e, 0);
	assert_contains(s, "\"proto\":\"133\"");
	assert_not_contains(s, "\"port\"");
	free(s);
}

/* Flows inside an array: commas between them, one line in all. */
static void test_flow_json_array(void **state)
{
	struct xtap_flow_entry f[3] = { tcp_entry(), icmp_entry(), udp6_entry() };
	struct mem_out m;
	struct json j;
	char *s;

	(void)state;
	json_init(&j, mem_open(&m));
	json_open(&j, NULL, '[');
	for (int i = 0; i < 3; i++)
		xtap_flow_json(&j, &f[i], 0);
	json_close(&j, ']');
	s = mem_done(&m);
	assert_true(json_valid(s));
	assert_int_equal(count_char(s, '\n'), 1);
	assert_contains(s, "\"socket_cookie\":null},{\"proto\":\"icmp\"");
	assert_contains(s, "\"socket_cookie\":null},{\"proto\":\"udp\"");
	free(s);
}

static void test_stats_json(void **state)
{
	struct xtap_stats st;
	struct mem_out m;
	struct json j;
	char *s;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.c[XTAP_STAT_TCP] = 3;
	st.c[XTAP_STAT_UDP] = 2;
	st.c[XTAP_STAT_ARP] = 4;
	st.c[XTAP_STAT_TRUNC_TCP] = 1;
	st.c[XTAP_STAT_TRUNC_ARP] = 5;	/* the last outcome counts too */
	st.c[XTAP_STAT_BYTES] = 1000;	/* events are not packets */
	st.c[XTAP_STAT_FLOW_NEW] = 2;
	json_init(&j, mem_open(&m));
	json_open(&j, NULL, '{');
	xtap_stats_json(&j, "stats", &st);
	json_close(&j, '}');
	s = mem_done(&m);
	assert_true(json_valid(s));
	assert_string_equal(s, "{\"stats\":{\"packets\":15,\"tcp\":3,\"udp\":2,\"arp\":4,"
			       "\"truncated_tcp\":1,\"truncated_arp\":5,\"bytes\":1000,"
			       "\"flows_created\":2}}\n");
	free(s);
}

static void test_stats_json_empty(void **state)
{
	struct xtap_stats st;
	struct mem_out m;
	struct json j;
	char *s;

	(void)state;
	memset(&st, 0, sizeof(st));
	json_init(&j, mem_open(&m));
	xtap_stats_json(&j, NULL, &st);
	s = mem_done(&m);
	assert_string_equal(s, "{\"packets\":0}\n");
	free(s);
}

/* Two interfaces as the library reads them: eth0 here (live), veth1 in
 * namespace "blue" whose interface is gone. */
static void two_ifaces(struct xtap_query_status *s, struct xtap_query_iface q[2])
{
	memset(s, 0, sizeof(*s));
	memset(q, 0, 2 * sizeof(*q));
	q[0].slot = 0;
	snprintf(q[0].e.name, sizeof(q[0].e.name), "eth0");
	q[0].e.ifindex = 2;
	q[0].e.hooks = 1u << XTAP_HOOK_XDP;
	q[0].e.xdp_mode = XTAP_XDP_NATIVE;
	q[0].e.prog_id[XTAP_HOOK_XDP] = 11;
	q[0].present = 1;
	q[0].counted = 1u << XTAP_HOOK_XDP;
	q[0].stats[XTAP_HOOK_XDP].c[XTAP_STAT_TCP] = 5;
	q[1].slot = 3;
	snprintf(q[1].e.name, sizeof(q[1].e.name), "veth1");
	snprintf(q[1].netns, sizeof(q[1].netns), "blue");
	q[1].e.ifindex = 7;
	q[1].e.hooks = 1u << XTAP_HOOK_TC_INGRESS;
	q[1].e.tc_mech = XTAP_TC_TCX;
	q[1].e.prog_id[XTAP_HOOK_TC_INGRESS] = 12;
	q[1].present = 0;
	q[1].counted = 1u << XTAP_HOOK_TC_INGRESS;
	q[1].stats[XTAP_HOOK_TC_INGRESS].c[XTAP_STAT_UDP] = 2;
	s->ifaces = q;
	s->n = 2;
	s->total.c[XTAP_STAT_TCP] = 5;
	s->total.c[XTAP_STAT_UDP] = 2;
	s->total.c[XTAP_STAT_FLOW_NEW] = 4;
	s->flows_max = 1000;
	s->flows_used = 3;
}

static void test_status_table(void **state)
{
	struct xtap_query_iface q[2];
	struct xtap_query_status s;
	struct mem_out m;
	char *t;

	(void)state;
	two_ifaces(&s, q);
	xtap_status_print(mem_open(&m), &s, false);
	t = mem_done(&m);
	assert_non_null(strstr(t, "\neth0                   2 -            xdp                        native   -       11/0/0\n"));
	assert_non_null(strstr(t, "\nveth1                  7 blue         tc-ingress                 -        tcx     0/12/0  (interface gone)\n"));
	assert_non_null(strstr(t, "\nflow table: 3 of 1000 entries in use (0.3%); 4 created, 1 evicted, 0 failed\n"));
	free(t);
	s.n = 0;
	xtap_status_print(mem_open(&m), &s, false);
	t = mem_done(&m);
	assert_string_equal(t, "xtap is not attached to any interface\n");
	free(t);
}

static void test_status_json(void **state)
{
	struct xtap_query_iface q[2];
	struct xtap_query_status s;
	struct mem_out m;
	char *t;

	(void)state;
	two_ifaces(&s, q);
	q[0].present = -1;	/* cannot be told */
	xtap_status_print(mem_open(&m), &s, true);
	t = mem_done(&m);
	assert_true(json_valid(t));
	assert_non_null(strstr(t, "\"name\":\"eth0\""));
	assert_non_null(strstr(t, "\"prog_ids\":{\"xdp\":11},\"present\":null}"));
	assert_non_null(strstr(t, "\"netns\":\"blue\""));
	assert_non_null(strstr(t, "\"prog_ids\":{\"tc-ingress\":12},\"present\":false}"));
	assert_non_null(strstr(t, "\"flows\":{\"max\":1000,\"used\":3,\"created\":4,\"evicted\":1,\"failed\":0}"));
	free(t);
}

static void test_stats_print(void **state)
{
	struct xtap_query_iface q[2];
	struct xtap_query_status s;
	struct mem_out m;
	char *t;

	(void)state;
	two_ifaces(&s, q);
	xtap_stats_print(mem_open(&m), &s, true);
	t = mem_done(&m);
	assert_true(json_valid(t));
	assert_non_null(strstr(t, "{\"name\":\"eth0\",\"netns\":\"\",\"hooks\":{\"xdp\":{\"packets\":5,\"tcp\":5}}}"));
	assert_non_null(strstr(t, "{\"name\":\"veth1\",\"netns\":\"blue\",\"hooks\":{\"tc-ingress\":{\"packets\":2,\"udp\":2}}}"));
	assert_non_null(strstr(t, "\"total\":{\"packets\":7,"));
	free(t);
	xtap_stats_print(mem_open(&m), &s, false);
	t = mem_done(&m);
	assert_non_null(strstr(t, "veth1@blue tc-ingress"));
	assert_non_null(strstr(t, "eth0 xdp"));
	assert_non_null(strstr(t, "total"));
	free(t);
}

static void test_stats_table(void **state)
{
	struct xtap_stats st;
	struct mem_out m;
	char *s;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.c[XTAP_STAT_ICMP] = 6;
	st.c[XTAP_STAT_IPV4_IHL] = 2;
	st.c[XTAP_STAT_TRUNC_ETH] = 1;
	st.c[XTAP_STAT_FLOW_FAIL] = 9;
	xtap_stats_table(mem_open(&m), "xdp", &st);
	s = mem_done(&m);
	assert_true(strncmp(s, "xdp: 9 packets, 3 malformed\n", 28) == 0);
	assert_contains(s, "  icmp                            6\n");
	assert_contains(s, "  ipv4_bad_ihl                    2  (malformed)\n");
	assert_contains(s, "  flows_failed                    9\n");
	assert_not_contains(s, "tcp");
	free(s);
}

/* The line of a table that mentions needle. */
static char *table_line(char *table, const char *needle)
{
	char *p = strstr(table, needle), *start, *end;

	if (!p)
		fail_msg("no \"%s\" in table:\n%s", needle, table);
	for (start = p; start > table && start[-1] != '\n'; start--)
		;
	end = strchr(p, '\n');
	assert_non_null(end);
	*end = '\0';
	return start;
}

/* Whitespace-separated columns of a table line (modified in place). */
static int columns(char *line, char **col, int max)
{
	int n = 0;

	for (char *t = strtok(line, " "); t && n < max; t = strtok(NULL, " "))
		col[n++] = t;
	return n;
}

/* A flow made under --sampling 8: flagged as estimates in JSON and in the
 * table ("~" before its packets and bytes, a line under the table); an
 * exact flow says so too. */
static void test_flow_sampled(void **state)
{
	struct xtap_flow_entry f[2] = { tcp_entry(), icmp_entry() };
	struct xtap_report r = { .time_offset_ns = 0 };
	struct mem_out m;
	char *s, *line, *col[16];

	(void)state;
	s = flow_json(&f[0], 0);
	assert_contains(s, "\"sampling\":1,\"estimated\":false,\"packets_ab\":7");
	free(s);
	f[0].val.sampling = 8;
	s = flow_json(&f[0], 0);
	assert_contains(s, "\"sampling\":8,\"estimated\":true,\"packets_ab\":7");
	free(s);

	r.out = mem_open(&m);
	xtap_flows_table(&r, f, 2);
	s = mem_done(&m);
	assert_contains(s, "~ estimates: 1 packet in 8 accounted to flows");
	line = table_line(s, "tcp ");
	assert_true(columns(line, col, 16) >= 6);
	assert_string_equal(col[3], "~11");
	assert_string_equal(col[4], "~1234");
	assert_string_equal(col[5], "~7");
	free(s);

	r.out = mem_open(&m);
	xtap_flows_table(&r, f + 1, 1);
	s = mem_done(&m);
	assert_not_contains(s, "~");
	free(s);
}

static void test_table_client_first(void **state)
{
	struct xtap_flow_entry f[3] = { tcp_entry(), icmp_entry(), udp6_entry() };
	struct xtap_report r = { .time_offset_ns = 0 };
	struct mem_out m;
	char *s, *line, *col[16];

	(void)state;
	/* the client (b) retransmitted 3 times, the server once; two samples
	 * of the client's timestamps, 250 us on average */
	f[0].val.retrans[XTAP_DIR_BA] = 3;
	f[0].val.retrans[XTAP_DIR_AB] = 1;
	f[0].val.rtt_samples[XTAP_DIR_BA] = 2;
	f[0].val.rtt_sum_ns[XTAP_DIR_BA] = 500000;
	f[0].val.rtt_samples[XTAP_DIR_AB] = 1;
	f[0].val.rtt_sum_ns[XTAP_DIR_AB] = 7000;
	r.out = mem_open(&m);
	xtap_flows_table(&r, f, 3);
	s = mem_done(&m);
	assert_true(strncmp(s, "PROTO  CLIENT", 13) == 0);
	assert_int_equal(count_char(s, '\n'), 4);

	/* TCP: the initiator is b, so b is the client and its counters come first */
	char *copy = strdup(s);

	assert_non_null(copy);
	line = table_line(copy, "tcp ");
	assert_int_equal(columns(line, col, 16), 12);
	assert_string_equal(col[0], "tcp");
	assert_string_equal(col[1], "10.0.0.2:51000");
	assert_string_equal(col[2], "10.0.0.1:443");
	assert_string_equal(col[3], "11");		/* PKTS> from the client */
	assert_string_equal(col[4], "1234");
	assert_string_equal(col[5], "7");
	assert_string_equal(col[6], "87.9K");		/* 90000 / 1024 */
	assert_string_equal(col[7], "SRA/FSPA");
	assert_string_equal(col[8], "3/1");		/* RETX client/server */
	assert_string_equal(col[9], "250.0us");	/* TS-RTT of the client's */
	assert_string_equal(col[11], "2.500s");
	free(copy);

	/* ICMP: initiator a; the server column names type and id */
	copy = strdup(s);
	assert_non_null(copy);
	line = table_line(copy, "icmp ");
	assert_int_equal(columns(line, col, 16), 14);
	assert_string_equal(col[1], "192.168.1.1");
	assert_string_equal(col[2], "192.168.1.9");
	assert_string_equal(col[3], "t8");
	assert_string_equal(col[4], "id4660");
	assert_string_equal(col[5], "3");
	assert_string_equal(col[9], "-");
	assert_string_equal(col[10], "-");		/* no RETX nor TS-RTT: not TCP */
	assert_string_equal(col[11], "-");
	free(copy);

	/* IPv6 endpoints are bracketed; client b again */
	copy = strdup(s);
	assert_non_null(copy);
	line = table_line(copy, "udp ");
	assert_int_equal(columns(line, col, 16), 12);
	assert_string_equal(col[1], "[2001:db8::a]:40000");
	assert_string_equal(col[2], "[2001:db8::1]:53");
	assert_string_equal(col[3], "1");
	assert_string_equal(col[4], "80");
	assert_string_equal(col[5], "0");
	assert_string_equal(col[11], "0.000s");
	free(copy);
	free(s);
}

/* Swapping the initiator swaps the columns, not the key. */
static void test_table_initiator_a(void **state)
{
	struct xtap_flow_entry e = tcp_entry();
	struct xtap_report r = { 0 };
	struct mem_out m;
	char *s, *col[16];

	(void)state;
	e.val.initiator = XTAP_DIR_AB;
	r.out = mem_open(&m);
	xtap_flows_table(&r, &e, 1);
	s = mem_done(&m);
	assert_int_equal(columns(table_line(s, "tcp "), col, 16), 12);
	assert_string_equal(col[1], "10.0.0.1:443");
	assert_string_equal(col[2], "10.0.0.2:51000");
	assert_string_equal(col[3], "7");
	assert_string_equal(col[7], "FSPA/SRA");
	assert_string_equal(col[8], "0/0");
	assert_string_equal(col[9], "-");		/* no samples of a's timestamps */
	free(s);
}

static __u64 drops_tcp3(const struct xtap_flow_key *k, void *arg)
{
	(void)arg;
	return k->proto == 6 ? 3 : 0;
}

/* The DROPS column: last, aligned under its header, on every line. */
static void test_table_drops(void **state)
{
	struct xtap_flow_entry f[3] = { tcp_entry(), icmp_entry(), udp6_entry() };
	struct xtap_report r = { .drops_of = drops_tcp3 };
	struct mem_out m;
	char *s, *line, *next, *col[16];
	size_t width = 0;
	int n;

	(void)state;
	r.out = mem_open(&m);
	xtap_flows_table(&r, f, 3);
	s = mem_done(&m);
	for (line = s; *line; line = next + 1) {
		next = strchr(line, '\n');
		assert_non_null(next);
		if (!width)
			width = (size_t)(next - line);
		else
			assert_int_equal((size_t)(next - line), width);
	}
	assert_contains(s, "OUTCOME          DROPS\n");
	n = columns(table_line(s, "tcp "), col, 16);
	assert_string_equal(col[n - 1], "3");
	free(s);
	r.out = mem_open(&m);
	xtap_flows_table(&r, f, 3);
	s = mem_done(&m);
	n = columns(table_line(s, "icmp "), col, 16);
	assert_string_equal(col[n - 1], "0");
	free(s);
}

/* The CGROUP column: there when a flow has a cgroup, after OUTCOME and
 * before DROPS, its header over the cells; a path longer than the column
 * keeps its end after "..."; "-" for a flow without; a cgroup gone since
 * shows its id. No column when no flow has one. */
static void test_table_cgroup(void **state)
{
	char root[] = "/tmp/xtap-cgt-XXXXXX", dir[160], *s, *line, *col[20];
	struct xtap_flow_entry f[3] = { tcp_entry(), icmp_entry(), udp6_entry() };
	struct xtap_report r = { .drops_of = drops_tcp3 };
	const char *leaf = "a-rather-long-unit-name.service";
	struct mem_out m;
	struct stat sb, sb2;
	char dir2[192];
	size_t hdr;
	int n;

	(void)state;
	r.out = mem_open(&m);
	xtap_flows_table(&r, f, 3);
	s = mem_done(&m);
	assert_not_contains(s, "CGROUP");
	free(s);

	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/system.slice", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(dir, sizeof(dir), "%s/system.slice/%s", root, leaf);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(stat(dir, &sb), 0);
	snprintf(dir2, sizeof(dir2), "%s/system.slice/a-long-parent-slice-name.slice", root);
	assert_int_equal(mkdir(dir2, 0700), 0);
	snprintf(dir2, sizeof(dir2), "%s/system.slice/a-long-parent-slice-name.slice/web.service",
		 root);
	assert_int_equal(mkdir(dir2, 0700), 0);
	assert_int_equal(stat(dir2, &sb2), 0);
	xtap_cgroup_set_root(root);
	f[0].val.cgroup_id = sb.st_ino;
	f[1].val.cgroup_id = sb2.st_ino;
	f[2].val.cgroup_id = 999999999;	/* no such cgroup */
	r.out = mem_open(&m);
	xtap_flows_table(&r, f, 3);
	s = mem_done(&m);
	assert_contains(s, "OUTCOME          CGROUP                       DROPS\n");
	hdr = (size_t)(strstr(s, "CGROUP") - s);
	line = table_line(s, "tcp ");
	assert_int_equal((size_t)(strstr(line, "...") - line), hdr);
	n = columns(line, col, 20);
	/* no '/' in the 25 bytes that fit: cut inside the name */
	assert_string_equal(col[n - 2], "...er-long-unit-name.service");
	free(s);
	r.out = mem_open(&m);
	xtap_flows_table(&r, f, 3);
	s = mem_done(&m);
	/* whole names from a '/' */
	n = columns(table_line(s, "icmp "), col, 20);
	assert_string_equal(col[n - 2], ".../web.service");
	free(s);
	f[1].val.cgroup_id = 0;
	r.out = mem_open(&m);
	xtap_flows_table(&r, f, 3);
	s = mem_done(&m);
	n = columns(table_line(s, "icmp "), col, 20);
	assert_string_equal(col[n - 2], "-");
	free(s);
	r.out = mem_open(&m);
	xtap_flows_table(&r, f, 3);
	s = mem_done(&m);
	n = columns(table_line(s, "udp "), col, 20);
	assert_string_equal(col[n - 2], "#999999999");
	free(s);
	rmdir(dir);
	rmdir(dir2);
	snprintf(dir2, sizeof(dir2), "%s/system.slice/a-long-parent-slice-name.slice", root);
	rmdir(dir2);
	snprintf(dir, sizeof(dir), "%s/system.slice", root);
	rmdir(dir);
	rmdir(root);
	xtap_cgroup_set_root(NULL);
}

static void test_table_limit(void **state)
{
	struct xtap_flow_entry f[3] = { tcp_entry(), icmp_entry(), udp6_entry() };
	struct xtap_report r = { .limit = 1 };
	struct mem_out m;
	char *s;

	(void)state;
	r.out = mem_open(&m);
	xtap_flows_table(&r, f, 3);
	s = mem_done(&m);
	assert_int_equal(count_char(s, '\n'), 3);
	assert_contains(s, "10.0.0.2:51000");
	assert_not_contains(s, "192.168.1.1");
	assert_contains(s, "\n... 2 more flows\n");
	free(s);

	/* one short of all, all, and more than all */
	for (size_t limit = 2; limit <= 4; limit++) {
		r.limit = limit;
		r.out = mem_open(&m);
		xtap_flows_table(&r, f, 3);
		s = mem_done(&m);
		if (limit == 2) {
			assert_int_equal(count_char(s, '\n'), 4);
			assert_contains(s, "\n... 1 more flows\n");
		} else {
			assert_int_equal(count_char(s, '\n'), 4);
			assert_not_contains(s, "more flows");
			assert_contains(s, "2001:db8::a");
		}
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_json_tcp),
		cmocka_unit_test(test_flow_json_cgroup),
		cmocka_unit_test(test_flow_json_icmp),
		cmocka_unit_test(test_flow_json_ipv6_and_offset),
		cmocka_unit_test(test_flow_json_array),
		cmocka_unit_test(test_stats_json),
		cmocka_unit_test(test_stats_json_empty),
		cmocka_unit_test(test_status_table),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_stats_print),
		cmocka_unit_test(test_stats_table),
		cmocka_unit_test(test_table_client_first),
		cmocka_unit_test(test_table_initiator_a),
		cmocka_unit_test(test_table_limit),
		cmocka_unit_test(test_flow_sampled),
		cmocka_unit_test(test_table_drops),
		cmocka_unit_test(test_table_cgroup),
	};

	/* the FIRST column is local time: pin the zone so runs agree */
	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}

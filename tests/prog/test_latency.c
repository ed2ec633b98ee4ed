// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * TCP handshake timing and connection outcomes through the real programs,
 * on the replay clock: exact nanoseconds, every outcome, the SYN-ACK from
 * side a and from side b, and handshakes followed by more packets than the
 * per-CPU write-back entries hold.
 */
#include "tests/prog/harness.h"

#include <netinet/in.h>
#include <string.h>

#include "user/json.h"
#include "user/report.h"

static const struct tcp_conv convs[] = {
	{ .client_a = 1 }, { .client_a = 0 },
	{ .client_a = 1, .v6 = 1 }, { .client_a = 0, .v6 = 1, .vlan = 7 },
};
#define NCONVS (sizeof(convs) / sizeof(convs[0]))

struct step {
	int from_client;
	__u8 flags;
	__u64 at;		/* ns after T0 */
	size_t payload;
};

/* What a flow's handshake fields must hold. */
struct hs_want {
	__u64 syn_ns;
	__u64 syn_synack_ns;
	__u64 synack_ack_ns;
	__u32 syn_retransmits;
	__u8 hs_seen;
	__u8 outcome;
	__u8 hs_state;
};

/* Run the steps through the hook, check the packet counts and the handshake
 * fields of the one entry they make, and return it. */
static struct xtap_flow run_conv(struct env *e, int hook, const struct tcp_conv *c,
				 const struct step *s, size_t n, const struct hs_want *w,
				 const char *what)
{
	struct xtap_flow_key k = conv_key(c);
	struct xtap_flow got;
	int dc = c->client_a ? XTAP_DIR_AB : XTAP_DIR_BA;
	__u64 pkts[2] = { 0, 0 };
	int bad = 0;

	env_reset(e);
	for (size_t i = 0; i < n; i++) {
		struct pb b;

		conv_seg(&b, c, s[i].from_client, s[i].flags, s[i].payload);
		run_pb(e, hook, &b, T0 + s[i].at);
		pkts[s[i].from_client ? dc : !dc]++;
	}
	expect_nflows(e, 1, what);
	assert_int_equal(xtap_flow_lookup(e->flows_fd, fcache_fd(e), &k, &got), 0);
#define HS_FIELD(f, v)                                                                          \
	do {                                                                                   \
		if ((__u64)got.f != (__u64)(v)) {                                              \
			print_error("%s [%s, client %c%s]: " #f " = %llu, want %llu\n", what,   \
				    hook_str(hook), c->client_a ? 'a' : 'b', c->v6 ? ", v6" : "", \
				    (unsigned long long)got.f, (unsigned long long)(v));        \
			bad = 1;                                                              \
		}                                                                             \
	} while (0)
	HS_FIELD(pkts[0], pkts[0]);
	HS_FIELD(pkts[1], pkts[1]);
	HS_FIELD(syn_ns, w->syn_ns);
	HS_FIELD(syn_synack_ns, w->syn_synack_ns);
	HS_FIELD(synack_ack_ns, w->synack_ack_ns);
	HS_FIELD(syn_retransmits, w->syn_retransmits);
	HS_FIELD(hs_seen, w->hs_seen);
	HS_FIELD(outcome, w->outcome);
	HS_FIELD(hs_state, w->hs_state);
	if (w->hs_seen & XTAP_HS_SEEN_SYN)
		HS_FIELD(syn_dir, dc);
	HS_FIELD(sampling, 0);
#undef HS_FIELD
	if (bad)
		fail();
	return got;
}

#define ALL (XTAP_HS_SEEN_SYN | XTAP_HS_SEEN_SYNACK | XTAP_HS_SEEN_ACK)

/* SYN, SYN-ACK 250us later, ACK 37us after that: both halves exact. */
static void test_established(void **state)
{
	static const struct step s[] = {
		{ 1, PB_SYN, 0, 0 }, { 0, PB_SYN | PB_ACK, 250000, 0 }, { 1, PB_ACK, 287000, 0 },
		{ 1, PB_ACK | PB_PSH, 290000, 77 },
	};
	static const struct hs_want w = { .syn_ns = T0, .syn_synack_ns = 250000,
					  .synack_ack_ns = 37000, .hs_seen = ALL,
					  .outcome = XTAP_OUTCOME_ESTABLISHED,
					  .hs_state = XTAP_HS_DONE };

	for (size_t ci = 0; ci < NCONVS; ci++)
		for (size_t hi = 0; hi < NHOOKS; hi++)
			run_conv(*state, hooks[hi], &convs[ci], s, 4, &w, "established");
}

/* A SYN-ACK arriving in the same nanosecond as the SYN still counts as seen. */
static void test_zero_times(void **state)
{
	static const struct step s[] = {
		{ 1, PB_SYN, 5, 0 }, { 0, PB_SYN | PB_ACK, 5, 0 }, { 1, PB_ACK, 5, 0 },
	};
	static const struct hs_want w = { .syn_ns = T0 + 5, .hs_seen = ALL,
					  .outcome = XTAP_OUTCOME_ESTABLISHED,
					  .hs_state = XTAP_HS_DONE };

	for (size_t ci = 0; ci < NCONVS; ci++)
		run_conv(*state, XTAP_HOOK_XDP, &convs[ci], s, 3, &w, "zero times");
}

/* SYN answered by RST|ACK. */
static void test_refused(void **state)
{
	static const struct step s[] = {
		{ 1, PB_SYN, 0, 0 }, { 0, PB_RST | PB_ACK, 61000, 0 },
	};
	static const struct hs_want w = { .syn_ns = T0, .hs_seen = XTAP_HS_SEEN_SYN,
					  .outcome = XTAP_OUTCOME_REFUSED,
					  .hs_state = XTAP_HS_DONE };

	for (size_t ci = 0; ci < NCONVS; ci++)
		for (size_t hi = 0; hi < NHOOKS; hi++)
			run_conv(*state, hooks[hi], &convs[ci], s, 2, &w, "refused");
}

/* SYN, then two retransmissions and no answer; one SYN alone is syn-sent. */
static void test_unanswered(void **state)
{
	static const struct step s[] = {
		{ 1, PB_SYN, 0, 0 }, { 1, PB_SYN, 1000000000, 0 }, { 1, PB_SYN, 3000000000ull, 0 },
	};
	static const struct hs_want w = { .syn_ns = T0, .syn_retransmits = 2,
					  .hs_seen = XTAP_HS_SEEN_SYN,
					  .outcome = XTAP_OUTCOME_UNANSWERED,
					  .hs_state = XTAP_HS_SYN_SENT };
	static const struct hs_want w1 = { .syn_ns = T0, .hs_seen = XTAP_HS_SEEN_SYN,
					   .outcome = XTAP_OUTCOME_SYN_SENT,
					   .hs_state = XTAP_HS_SYN_SENT };

	for (size_t ci = 0; ci < NCONVS; ci++)
		for (size_t hi = 0; hi < NHOOKS; hi++) {
			run_conv(*state, hooks[hi], &convs[ci], s, 3, &w, "unanswered");
			run_conv(*state, hooks[hi], &convs[ci], s, 1, &w1, "one SYN");
		}
}

/* A retransmitted SYN that is then answered: established, one retransmit,
 * SYN-ACK timed from the latest SYN (as Wireshark's initial_rtt is), the
 * first SYN's time kept; a retransmitted SYN-ACK changes nothing. */
static void test_retransmit_answered(void **state)
{
	static const struct step s[] = {
		{ 1, PB_SYN, 0, 0 },
		{ 1, PB_SYN, 1000000000, 0 },
		{ 0, PB_SYN | PB_ACK, 1000300000, 0 },
		{ 0, PB_SYN | PB_ACK, 1000400000, 0 },
		{ 1, PB_ACK, 1000420000, 0 },
		{ 0, PB_ACK, 1000500000, 0 },
	};
	static const struct hs_want w = { .syn_ns = T0, .syn_synack_ns = 300000,
					  .synack_ack_ns = 120000, .syn_retransmits = 1,
					  .hs_seen = ALL, .outcome = XTAP_OUTCOME_ESTABLISHED,
					  .hs_state = XTAP_HS_DONE };

	for (size_t ci = 0; ci < NCONVS; ci++)
		for (size_t hi = 0; hi < NHOOKS; hi++)
			run_conv(*state, hooks[hi], &convs[ci], s, 6, &w, "retransmit answered");
}

/* Established, data, then RST (from either side); a FIN after it stays reset. */
static void test_reset_after_established(void **state)
{
	static const struct step s[] = {
		{ 1, PB_SYN, 0, 0 }, { 0, PB_SYN | PB_ACK, 1000, 0 }, { 1, PB_ACK, 3000, 0 },
		{ 1, PB_ACK | PB_PSH, 4000, 100 }, { 0, PB_ACK | PB_PSH, 5000, 200 },
		{ 0, PB_RST, 9000, 0 }, { 1, PB_FIN | PB_ACK, 9500, 0 },
	};
	static const struct step s2[] = {
		{ 1, PB_SYN, 0, 0 }, { 0, PB_SYN | PB_ACK, 1000, 0 }, { 1, PB_ACK, 3000, 0 },
		{ 1, PB_RST | PB_ACK, 4000, 0 },
	};
	static const struct hs_want w = { .syn_ns = T0, .syn_synack_ns = 1000,
					  .synack_ack_ns = 2000, .hs_seen = ALL,
					  .outcome = XTAP_OUTCOME_RESET, .hs_state = XTAP_HS_DONE };

	for (size_t ci = 0; ci < NCONVS; ci++)
		for (size_t hi = 0; hi < NHOOKS; hi++) {
			run_conv(*state, hooks[hi], &convs[ci], s, 7, &w, "reset by server");
			run_conv(*state, hooks[hi], &convs[ci], s2, 4, &w, "reset by client");
		}
}

/* Established, data, FIN both ways, last ACK; a RST after the FIN stays closed. */
static void test_closed_by_fin(void **state)
{
	static const struct step s[] = {
		{ 1, PB_SYN, 0, 0 }, { 0, PB_SYN | PB_ACK, 40000, 0 }, { 1, PB_ACK, 40500, 0 },
		{ 1, PB_ACK | PB_PSH, 41000, 100 }, { 0, PB_ACK | PB_PSH, 50000, 1000 },
		{ 1, PB_FIN | PB_ACK, 60000, 0 }, { 0, PB_FIN | PB_ACK, 61000, 0 },
		{ 1, PB_ACK, 62000, 0 }, { 0, PB_RST, 63000, 0 },
	};
	static const struct hs_want w = { .syn_ns = T0, .syn_synack_ns = 40000,
					  .synack_ack_ns = 500, .hs_seen = ALL,
					  .outcome = XTAP_OUTCOME_CLOSED, .hs_state = XTAP_HS_DONE };

	for (size_t ci = 0; ci < NCONVS; ci++)
		for (size_t hi = 0; hi < NHOOKS; hi++) {
			run_conv(*state, hooks[hi], &convs[ci], s, 8, &w, "closed by FIN");
			run_conv(*state, hooks[hi], &convs[ci], s, 9, &w, "RST after FIN");
		}
}

/* No SYN seen: no handshake times; the end is still reported. */
static void test_midstream(void **state)
{
	static const struct step fin[] = {
		{ 1, PB_ACK | PB_PSH, 0, 10 }, { 0, PB_ACK, 100, 0 }, { 1, PB_FIN | PB_ACK, 200, 0 },
	};
	static const struct step rst[] = {
		{ 0, PB_ACK | PB_PSH, 0, 10 }, { 1, PB_RST, 100, 0 },
	};
	static const struct step data[] = {
		{ 0, PB_ACK | PB_PSH, 0, 10 }, { 1, PB_ACK, 100, 0 },
	};
	static const struct hs_want wf = { .outcome = XTAP_OUTCOME_CLOSED };
	static const struct hs_want wr = { .outcome = XTAP_OUTCOME_RESET,
					   .hs_state = XTAP_HS_DONE };
	static const struct hs_want wd = { 0 };

	for (size_t ci = 0; ci < NCONVS; ci++)
		for (size_t hi = 0; hi < NHOOKS; hi++) {
			run_conv(*state, hooks[hi], &convs[ci], fin, 3, &wf, "mid-stream FIN");
			run_conv(*state, hooks[hi], &convs[ci], rst, 2, &wr, "mid-stream RST");
			run_conv(*state, hooks[hi], &convs[ci], data, 2, &wd, "mid-stream data");
		}
}

/* The ACK completing the handshake carries no SYN/FIN/RST: it must not be
 * taken by a write-back entry, and the long conversation after it must be
 * counted exactly through those entries, before and after the close. */
static void test_write_back(void **state)
{
	enum { DATA = 3 * XTAP_FCACHE_BATCH + 11, N = 3 + DATA + 3 };
	static struct step s[N];
	size_t i = 0;
	static const struct hs_want held = { .syn_ns = T0, .syn_synack_ns = 123456,
					     .synack_ack_ns = 7890, .hs_seen = ALL,
					     .outcome = XTAP_OUTCOME_ESTABLISHED,
					     .hs_state = XTAP_HS_DONE };
	static const struct hs_want closed = { .syn_ns = T0, .syn_synack_ns = 123456,
					       .synack_ack_ns = 7890, .hs_seen = ALL,
					       .outcome = XTAP_OUTCOME_CLOSED,
					       .hs_state = XTAP_HS_DONE };

	s[i++] = (struct step){ 1, PB_SYN, 0, 0 };
	s[i++] = (struct step){ 0, PB_SYN | PB_ACK, 123456, 0 };
	s[i++] = (struct step){ 1, PB_ACK, 123456 + 7890, 0 };
	while (i < 3 + DATA) {
		s[i] = (struct step){ (int)(i & 1), PB_ACK | PB_PSH, 200000 + i * 1000, 10 + i };
		i++;
	}
	s[i++] = (struct step){ 1, PB_FIN | PB_ACK, 900000, 0 };
	s[i++] = (struct step){ 0, PB_FIN | PB_ACK, 901000, 0 };
	s[i++] = (struct step){ 1, PB_ACK, 902000, 0 };

	for (size_t ci = 0; ci < NCONVS; ci++)
		for (size_t hi = 0; hi < NHOOKS; hi++) {
			run_conv(*state, hooks[hi], &convs[ci], s, N - 3, &held, "long, held");
			run_conv(*state, hooks[hi], &convs[ci], s, N, &closed, "long, closed");
		}
}

/* Another flow's packets in between keep taking the write-back slots; the
 * handshake of this one is still timed exactly, and a flow whose entry a
 * CPU holds (data before the SYN) is released by the SYN. */
static void test_data_before_syn(void **state)
{
	enum { PRE = XTAP_FCACHE_BATCH + 5 };
	static struct step s[PRE + 3];
	static const struct hs_want w = { .syn_ns = T0 + 1000000, .syn_synack_ns = 2000,
					  .synack_ack_ns = 3000, .hs_seen = ALL,
					  .outcome = XTAP_OUTCOME_ESTABLISHED,
					  .hs_state = XTAP_HS_DONE };
	size_t i;

	for (i = 0; i < PRE; i++)
		s[i] = (struct step){ (int)(i & 1), PB_ACK, i * 100, 0 };
	s[i++] = (struct step){ 1, PB_SYN, 1000000, 0 };
	s[i++] = (struct step){ 0, PB_SYN | PB_ACK, 1002000, 0 };
	s[i++] = (struct step){ 1, PB_ACK, 1005000, 0 };
	for (size_t ci = 0; ci < NCONVS; ci++)
		for (size_t hi = 0; hi < NHOOKS; hi++)
			run_conv(*state, hooks[hi], &convs[ci], s, PRE + 3, &w, "data before SYN");
}

/* Not TCP: nothing of this. */
static void test_udp_untouched(void **state)
{
	struct env *e = *state;
	struct xtap_flow_entry *f;
	struct pb b;
	struct pb_ip4 ip;

	env_reset(e);
	ip4_ab(&ip, 1);
	pb_init(&b, PB_MAC_B, PB_MAC_A);
	pb_ipv4(&b, &ip);
	pb_udp(&b, 5353, 53);
	pb_finish(&b);
	run_pb(e, XTAP_HOOK_XDP, &b, T0);
	assert_int_equal(flows_get(e, &f), 1);
	assert_int_equal(f[0].val.hs_seen, 0);
	assert_int_equal(f[0].val.outcome, XTAP_OUTCOME_NONE);
	assert_int_equal(f[0].val.syn_ns, 0);
	free(f);
}

static char *report_of(const struct xtap_flow_entry *f, int json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	if (json) {
		struct json j;

		json_init(&j, out);
		xtap_flow_json(&j, f, 0);
	} else {
		struct xtap_report r = { .out = out };

		xtap_flows_table(&r, f, 1);
	}
	fclose(out);
	return buf;
}

static void expect_in(const char *s, const char *want)
{
	if (!strstr(s, want)) {
		print_error("missing %s in:\n%s\n", want, s);
		fail();
	}
}

/* What the kernel measured, as `xtap flows` shows it. */
static void test_report(void **state)
{
	static const struct step est[] = {
		{ 1, PB_SYN, 0, 0 }, { 0, PB_SYN | PB_ACK, 250000, 0 }, { 1, PB_ACK, 287000, 0 },
	};
	static const struct step ref[] = {
		{ 1, PB_SYN, 0, 0 }, { 1, PB_SYN, 1000, 0 }, { 0, PB_RST | PB_ACK, 2000, 0 },
	};
	static const struct hs_want we = { .syn_ns = T0, .syn_synack_ns = 250000,
					   .synack_ack_ns = 37000, .hs_seen = ALL,
					   .outcome = XTAP_OUTCOME_ESTABLISHED,
					   .hs_state = XTAP_HS_DONE };
	static const struct hs_want wr = { .syn_ns = T0, .syn_retransmits = 1,
					   .hs_seen = XTAP_HS_SEEN_SYN,
					   .outcome = XTAP_OUTCOME_REFUSED,
					   .hs_state = XTAP_HS_DONE };
	struct xtap_flow_entry fe = { .key = conv_key(&convs[1]) };
	char *s;

	fe.val = run_conv(*state, XTAP_HOOK_XDP, &convs[1], est, 3, &we, "report, established");
	s = report_of(&fe, 1);
	expect_in(s, "\"syn_ns\":1700000000000000000,\"handshake_syn_synack_ns\":250000,"
		     "\"handshake_synack_ack_ns\":37000,\"initial_rtt_ns\":287000,"
		     "\"outcome\":\"established\",\"syn_retransmits\":0");
	free(s);
	s = report_of(&fe, 0);
	expect_in(s, " RTT OUTCOME\n");
	expect_in(s, " 287.0us established\n");
	free(s);

	fe.val = run_conv(*state, XTAP_HOOK_XDP, &convs[1], ref, 3, &wr, "report, refused");
	s = report_of(&fe, 1);
	expect_in(s, "\"handshake_syn_synack_ns\":null,\"handshake_synack_ack_ns\":null,"
		     "\"initial_rtt_ns\":null,\"outcome\":\"refused\",\"syn_retransmits\":1");
	free(s);
	s = report_of(&fe, 0);
	expect_in(s, " - refused(1)\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
		T(test_established),
		T(test_zero_times),
		T(test_refused),
		T(test_unanswered),
		T(test_retransmit_answered),
		T(test_reset_after_established),
		T(test_closed_by_fin),
		T(test_midstream),
		T(test_write_back),
		T(test_data_before_syn),
		T(test_udp_untouched),
		T(test_report),
#undef T
	};

	return cmocka_run_group_tests_name("prog/latency", tests, NULL, NULL);
}

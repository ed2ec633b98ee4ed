// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* user/drops.c: which drop reasons, in which context, are losses. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "tests/unit/unit_util.h"
#include "user/drops.h"

/* A drop key: proto, and IPv4 addresses (or IPv6 ones when a or b has ':'). */
static struct xtap_drop_key key(__u8 proto, const char *a, const char *b, __u8 sk_state)
{
	struct xtap_drop_key k = { .sk_state = sk_state };

	k.flow.proto = proto;
	if (strchr(a, ':')) {
		k.flow.ip_version = 6;
		assert_int_equal(inet_pton(AF_INET6, a, k.flow.addr_a), 1);
		assert_int_equal(inet_pton(AF_INET6, b, k.flow.addr_b), 1);
	} else {
		k.flow.ip_version = 4;
		k.flow.addr_a[10] = k.flow.addr_b[10] = 0xff;
		k.flow.addr_a[11] = k.flow.addr_b[11] = 0xff;
		assert_int_equal(inet_pton(AF_INET, a, k.flow.addr_a + 12), 1);
		assert_int_equal(inet_pton(AF_INET, b, k.flow.addr_b + 12), 1);
	}
	return k;
}

#define CLASS(reason, k) xtap_drop_class_name(xtap_drop_classify(reason, &(k)))

static void test_no_socket_depends_on_the_protocol(void **state)
{
	struct xtap_drop_key icmp = key(IPPROTO_ICMP, "10.0.0.1", "10.0.0.2", 0);
	struct xtap_drop_key icmp6 = key(IPPROTO_ICMPV6, "fd00::1", "fd00::2", 0);
	struct xtap_drop_key udp = key(IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 0);
	struct xtap_drop_key tcp = key(IPPROTO_TCP, "fd00::1", "fd00::2", 0);

	(void)state;
	/* ICMP: raw sockets had their copy first (ping's echo replies) */
	assert_string_equal(CLASS("NO_SOCKET", icmp), "delivered");
	assert_string_equal(CLASS("NO_SOCKET", icmp6), "delivered");
	/* a closed port */
	assert_string_equal(CLASS("NO_SOCKET", udp), "loss");
	assert_string_equal(CLASS("NO_SOCKET", tcp), "loss");
}

static void test_reasons_that_are_never_losses(void **state)
{
	struct xtap_drop_key tcp = key(IPPROTO_TCP, "10.0.0.1", "10.0.0.2", 0);

	(void)state;
	assert_string_equal(CLASS("QUEUE_PURGE", tcp), "teardown");
	assert_string_equal(CLASS("SOCKET_CLOSE", tcp), "teardown");
	assert_string_equal(CLASS("TCP_CLOSE", tcp), "teardown");
	assert_string_equal(CLASS("TCP_OLD_DATA", tcp), "duplicate");
	assert_string_equal(CLASS("TCP_OFOMERGE", tcp), "duplicate");
	assert_string_equal(CLASS("DUP_FRAG", tcp), "duplicate");
	assert_string_equal(CLASS("OTHERHOST", tcp), "not-ours");
	assert_string_equal(CLASS("IPV6_NDISC_NS_OTHERHOST", tcp), "not-ours");
}

static void test_losses(void **state)
{
	struct xtap_drop_key udp = key(IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 0);
	struct xtap_drop_key tcp = key(IPPROTO_TCP, "10.0.0.1", "10.0.0.2", 1);

	(void)state;
	static const char *const lost[] = {
		"NETFILTER_DROP", "QDISC_DROP", "CPU_BACKLOG", "SOCKET_RCVBUFF", "TCP_CSUM",
		"IP_INNOROUTES", "NEIGH_FAILED", "TC_INGRESS", "XDP", "NOMEM", "TCP_ZEROWINDOW",
		"NOT_SPECIFIED", "reason 4242", "",
	};
	for (size_t i = 0; i < sizeof(lost) / sizeof(lost[0]); i++) {
		if (strcmp(CLASS(lost[i], udp), "loss"))
			fail_msg("%s (udp): %s, want loss", lost[i], CLASS(lost[i], udp));
		if (strcmp(CLASS(lost[i], tcp), "loss"))
			fail_msg("%s (tcp, established): %s, want loss", lost[i], CLASS(lost[i], tcp));
	}
}

/* NOT_SPECIFIED: a loss, unless the context says otherwise. */
static void test_not_specified_in_context(void **state)
{
	struct xtap_drop_key tw = key(IPPROTO_TCP, "10.0.0.1", "10.0.0.2", 6);
	struct xtap_drop_key udp_tw = key(IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 6);
	struct xtap_drop_key mc6 = key(IPPROTO_ICMPV6, "fe80::1", "ff02::2", 0);
	struct xtap_drop_key mc4 = key(IPPROTO_UDP, "224.0.0.251", "10.0.0.1", 0);
	struct xtap_drop_key bc4 = key(IPPROTO_UDP, "10.0.0.1", "255.255.255.255", 0);
	struct xtap_drop_key uc6 = key(IPPROTO_ICMPV6, "fe80::1", "fe80::2", 0);

	(void)state;
	/* the TIME_WAIT socket's discard of the peer's last FIN or ACK */
	assert_string_equal(CLASS("NOT_SPECIFIED", tw), "teardown");
	assert_string_equal(CLASS("NOT_SPECIFIED", udp_tw), "loss");
	assert_string_equal(CLASS("TCP_OVERWINDOW", tw), "loss");
	/* a group this host did not join (router solicitations on a host) */
	assert_string_equal(CLASS("NOT_SPECIFIED", mc6), "not-ours");
	assert_string_equal(CLASS("NOT_SPECIFIED", mc4), "not-ours");
	assert_string_equal(CLASS("NOT_SPECIFIED", bc4), "not-ours");
	assert_string_equal(CLASS("NOT_SPECIFIED", uc6), "loss");
	assert_string_equal(CLASS("NETFILTER_DROP", mc6), "loss");
}

/* The DROPS column of `xtap flows` sums the flow's losses alone. */
static void test_drops_of_flow_sums_losses(void **state)
{
	struct xtap_drop_entry e[4] = {
		{ .key = key(IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 0), .val.pkts = 3,
		  .cls = XTAP_DROP_LOSS },
		{ .key = key(IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 0), .val.pkts = 5,
		  .cls = XTAP_DROP_TEARDOWN },
		{ .key = key(IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 0), .val.pkts = 7,
		  .cls = XTAP_DROP_LOSS },
		{ .key = key(IPPROTO_UDP, "10.0.0.1", "10.0.0.3", 0), .val.pkts = 11,
		  .cls = XTAP_DROP_LOSS },
	};
	struct xtap_drops d = { .d = e, .n = 4 };
	struct xtap_drop_key other = key(IPPROTO_UDP, "10.0.0.9", "10.0.0.2", 0);

	(void)state;
	e[1].key.reason = 1;	/* another reason, same flow */
	assert_int_equal(xtap_drops_of_flow(&e[0].key.flow, &d), 10);
	assert_int_equal(xtap_drops_of_flow(&e[3].key.flow, &d), 11);
	assert_int_equal(xtap_drops_of_flow(&other.flow, &d), 0);
	e[0].cls = XTAP_DROP_DELIVERED;
	assert_int_equal(xtap_drops_of_flow(&e[0].key.flow, &d), 7);
}

static void test_class_names(void **state)
{
	(void)state;
	for (int c = 0; c < XTAP_DROP_CLASS_MAX; c++) {
		const char *n = xtap_drop_class_name(c);

		assert_non_null(n);
		assert_true(*n && strcmp(n, "?"));
		for (int o = 0; o < c; o++)
			assert_string_not_equal(n, xtap_drop_class_name(o));
	}
	assert_string_equal(xtap_drop_class_name(XTAP_DROP_CLASS_MAX), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_socket_depends_on_the_protocol),
		cmocka_unit_test(test_reasons_that_are_never_losses),
		cmocka_unit_test(test_losses),
		cmocka_unit_test(test_not_specified_in_context),
		cmocka_unit_test(test_drops_of_flow_sums_losses),
		cmocka_unit_test(test_class_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

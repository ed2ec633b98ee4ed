// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TC attach: tcx links (raw bpf_link_create: the 6.1 uapi headers lack the
 * attach types), else bpf filters on a clsact qdisc. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader/internal.h"

/*
 * Kind of the qdisc at the ingress/clsact handle (ffff:) of ifindex, into
 * kind: "clsact", "ingress", or "" when there is none. An old "ingress"
 * qdisc sits where clsact would and makes libbpf's hook_create say EEXIST,
 * but it has no egress hook: a filter meant for egress would land on ingress.
 */
static int qdisc_kind_at_ingress(int ifindex, char *kind, size_t len)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETQDISC,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.tc = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex },
	};
	char buf[16384];
	int fd, done = 0, err = 0;

	kind[0] = '\0';
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, sizeof(req), 0) < 0) {
		err = -errno;
		goto out;
	}
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh;

		if (n < 0) {
			err = -errno;
			break;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			struct tcmsg *tc = NLMSG_DATA(nh);
			struct rtattr *a;
			int alen;

			if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (nh->nlmsg_type != RTM_NEWQDISC || tc->tcm_ifindex != ifindex ||
			    tc->tcm_parent != TC_H_INGRESS)
				continue;
			alen = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*tc));
			for (a = (struct rtattr *)((char *)tc + NLMSG_ALIGN(sizeof(*tc))); RTA_OK(a, alen);
			     a = RTA_NEXT(a, alen))
				if (a->rta_type == TCA_KIND)
					snprintf(kind, len, "%s", (char *)RTA_DATA(a));
		}
	}
out:
	close(fd);
	return err;
}

static int attach_tcx(const struct xtap_attach_job *j, int prog_fd, enum xtap_hook h)
{
	int fd = bpf_link_create(prog_fd, (int)j->e->ifindex, xtap_hooks[h].tcx_type, NULL);

	if (fd < 0)
		return -errno;
	return xtap_link_pin(j->st, j->slot, h, fd);
}

static int attach_clsact(struct xtap_iface *e, int prog_fd, enum xtap_hook h)
{
	const struct xtap_hook_def *d = &xtap_hooks[h];
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)e->ifindex, .attach_point = d->tc_point);
	LIBBPF_OPTS(bpf_tc_opts, to, .prog_fd = prog_fd);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err == 0) {
		e->clsact_created = 1;
	} else if (err == -EEXIST) {
		char kind[32];

		if (!qdisc_kind_at_ingress((int)e->ifindex, kind, sizeof(kind)) &&
		    strcmp(kind, "clsact"))
			return -EBUSY;	/* reported as "an ingress qdisc is in the way" */
	} else {
		return err;
	}
	err = bpf_tc_attach(&hook, &to);
	if (err)
		return err;
	e->tc_handle[d->tc_index] = to.handle;
	e->tc_prio[d->tc_index] = to.priority;
	return 0;
}

/* tcx unless clsact was asked for, or the other direction went through
 * clsact; clsact when tcx fails and was not asked for. */
int xtap_tc_attach(struct xtap_attach_job *j, enum xtap_hook h)
{
	struct xtap_iface *e = j->e;
	int fd = bpf_program__fd(xtap_hooks[h].prog(j->skel)), r = -EINVAL;

	if (e->tc_mech != XTAP_TC_CLSACT && j->o->tc_mech != XTAP_TC_CLSACT) {
		r = attach_tcx(j, fd, h);
		if (r == 0)
			e->tc_mech = XTAP_TC_TCX;
		else if (j->o->tc_mech == XTAP_TC_TCX || e->tc_mech == XTAP_TC_TCX)
			return xtap_fail(j->err, j->len, r, "tcx %s attach failed: %s",
					 xtap_hooks[h].name, strerror(-r));
	}
	if (r) {
		r = attach_clsact(e, fd, h);
		if (r == -EBUSY)
			return xtap_fail(j->err, j->len, r,
					 "a qdisc other than clsact (an \"ingress\" qdisc?) holds the ingress handle; xtap needs clsact or tcx");
		if (r)
			return xtap_fail(j->err, j->len, r, "clsact %s filter: %s", xtap_hooks[h].name,
					 strerror(-r));
		e->tc_mech = XTAP_TC_CLSACT;
	}
	e->prog_id[h] = xtap_prog_id(fd);
	return 0;
}

void xtap_tc_detach(const struct xtap_iface *e, enum xtap_hook h)
{
	const struct xtap_hook_def *d = &xtap_hooks[h];
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)e->ifindex, .attach_point = d->tc_point);
	LIBBPF_OPTS(bpf_tc_opts, to, .handle = e->tc_handle[d->tc_index],
		    .priority = e->tc_prio[d->tc_index]);

	/* a tcx link goes with its pin */
	if (e->tc_mech == XTAP_TC_CLSACT && e->tc_handle[d->tc_index])
		bpf_tc_detach(&hook, &to);
}

void xtap_tc_release(const struct xtap_iface *e)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)e->ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	if (e->tc_mech == XTAP_TC_CLSACT && e->clsact_created)
		bpf_tc_hook_destroy(&hook);
}

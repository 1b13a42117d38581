/*
 * Unit tests of the webhook address guard: which IPv4 and IPv6 addresses a
 * subscription may reach, IPv4 inside IPv6 included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "reviewd/webhooks.h"

static bool
judge(const char *ip)
{
	struct sockaddr_in	 a4;
	struct sockaddr_in6	 a6;

	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	if (inet_pton(AF_INET, ip, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		return webhooks_address_public((struct sockaddr *)&a4);
	}
	assert_int_equal(inet_pton(AF_INET6, ip, &a6.sin6_addr), 1);
	a6.sin6_family = AF_INET6;
	return webhooks_address_public((struct sockaddr *)&a6);
}

static void
test_address_guard(void **state)
{
	static const struct {
		const char	*ip;
		bool		 public;
	} cases[] = {
		/* IPv4 */
		{ "93.184.216.34", true },
		{ "8.8.8.8", true },
		{ "127.0.0.1", false },
		{ "10.1.2.3", false },
		{ "172.16.0.1", false },
		{ "192.168.1.1", false },
		{ "169.254.169.254", false },
		{ "100.64.0.1", false },
		{ "0.0.0.0", false },
		{ "224.0.0.1", false },
		/* plain IPv6 */
		{ "2606:2800:220:1:248:1893:25c8:1946", true },
		{ "::1", false },
		{ "::", false },
		{ "fe80::1", false },
		{ "fc00::1", false },
		{ "fd12:3456::1", false },
		{ "fec0::1", false },
		{ "ff02::1", false },
		{ "2001:db8::1", false },
		{ "100::1", false },
		/* IPv4-mapped ::ffff:0:0/96 */
		{ "::ffff:127.0.0.1", false },
		{ "::ffff:10.0.0.1", false },
		{ "::ffff:93.184.216.34", true },
		/* IPv4-translated ::ffff:0:0:0/96 */
		{ "::ffff:0:7f00:1", false },
		{ "::ffff:0:5db8:d822", true },
		/* IPv4-compatible ::/96 */
		{ "::127.0.0.1", false },
		{ "::a9fe:a9fe", false },
		{ "::5db8:d822", true },
		/* NAT64 64:ff9b::/96 */
		{ "64:ff9b::7f00:1", false },
		{ "64:ff9b::a9fe:a9fe", false },
		{ "64:ff9b::c0a8:101", false },
		{ "64:ff9b::5db8:d822", true },
		/* NAT64 local use 64:ff9b:1::/48: never global */
		{ "64:ff9b:1::7f00:1", false },
		{ "64:ff9b:1:5db8:d822::", false },
		/* 6to4 2002::/16 */
		{ "2002:7f00:1::", false },
		{ "2002:a00:1::1", false },
		{ "2002:c0a8:101::", false },
		{ "2002:5db8:d822::1", true },
		/* Teredo 2001::/32: server, then client inverted: clients
		 * 127.0.0.1, 10.0.0.1, then server 127.0.0.1, then all
		 * public (client 93.184.214.34) */
		{ "2001:0:4136:e378:8000:63bf:80ff:fffe", false },
		{ "2001:0:4136:e378:8000:63bf:f5ff:fffe", false },
		{ "2001:0:7f00:1:8000:63bf:a247:29dd", false },
		{ "2001:0:4136:e378:8000:63bf:a247:29dd", true },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (judge(cases[i].ip) != cases[i].public)
			fail_msg("%s: want %s", cases[i].ip, cases[i].public ?
			    "allowed" : "refused");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_guard),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

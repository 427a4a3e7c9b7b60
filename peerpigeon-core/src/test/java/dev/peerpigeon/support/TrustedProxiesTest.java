package dev.peerpigeon.support;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The client-address rule behind trusted proxies: right-most untrusted, Forwarded syntax, garbage gives the TCP peer. */
class TrustedProxiesTest {
    private static final TrustedProxies PROXIES = TrustedProxies.parse(List.of("10.0.0.0/8", "192.168.1.1", "fd00::/8"));
    private static final InetAddress PROXY = ip("10.1.2.3");

    private static InetAddress ip(String s) {
        return TrustedProxies.literal(s);
    }

    private static String xff(String header) {
        return PROXIES.clientAddress(PROXY, null, header).getHostAddress();
    }

    private static String fwd(String header) {
        return PROXIES.clientAddress(PROXY, header, "198.51.100.1").getHostAddress();
    }

    @Test
    void theRightMostUntrustedAddressOfXForwardedForIsTheClient() {
        assertThat(xff("203.0.113.7")).isEqualTo("203.0.113.7");
        // A client can prepend anything; only what the trusted proxies appended counts.
        assertThat(xff("1.1.1.1, 203.0.113.7, 10.9.9.9, 192.168.1.1")).isEqualTo("203.0.113.7");
        assertThat(xff(" 2001:db8::5 ")).isEqualTo("2001:db8:0:0:0:0:0:5");
        assertThat(xff("10.0.0.1, 10.0.0.2")).isEqualTo("10.1.2.3"); // trusted hops only: the proxy
    }

    @Test
    void forwardedForIsReadWithQuotesBracketsAndPortsAndWinsOverXForwardedFor() {
        assertThat(fwd("for=203.0.113.7")).isEqualTo("203.0.113.7");
        assertThat(fwd("for=\"203.0.113.7:4711\";proto=https;by=10.0.0.1")).isEqualTo("203.0.113.7");
        assertThat(fwd("For=\"[2001:db8:cafe::17]:4711\", for=10.0.0.5")).isEqualTo("2001:db8:cafe:0:0:0:0:17");
        assertThat(fwd("for=192.0.2.43, for=198.51.100.17;by=203.0.113.60")).isEqualTo("198.51.100.17");
    }

    @Test
    void garbageLoopbackOrObfuscatedEntriesGiveTheTcpPeer() {
        for (String garbage : List.of("", "not-an-ip", "unknown", "300.1.1.1", "example.com", "1.2.3.4:x", "[::1",
                "127.0.0.1", "::1", "0.0.0.0", "203.0.113.7, garbage")) {
            assertThat(xff(garbage)).as(garbage).isEqualTo("10.1.2.3");
        }
        for (String garbage : List.of("for=_hidden", "for=unknown", "nonsense", "for=\"[::1]\"", "for=127.0.0.1")) {
            assertThat(fwd(garbage)).as(garbage).isEqualTo("10.1.2.3");
        }
    }

    @Test
    void headersFromAnUntrustedPeerOrWithNoProxiesAreIgnored() {
        InetAddress direct = ip("203.0.113.9");
        assertThat(PROXIES.clientAddress(direct, "for=1.2.3.4", "1.2.3.4")).isSameAs(direct);
        assertThat(TrustedProxies.none().clientAddress(PROXY, "for=1.2.3.4", "1.2.3.4")).isSameAs(PROXY);
        assertThat(PROXIES.trusts(ip("fd12::1"))).isTrue();
        assertThat(PROXIES.trusts(ip("fe80::1"))).isFalse();
        assertThat(PROXIES.trusts(ip("192.168.1.2"))).isFalse();
    }

    @Test
    void invalidEntriesAreRefusedNamingThem() {
        assertThatThrownBy(() -> TrustedProxies.parse(List.of("10.0.0.0/33"))).hasMessageContaining("'10.0.0.0/33'")
                .hasMessageContaining("prefix length");
        assertThatThrownBy(() -> TrustedProxies.parse(List.of("proxy.local"))).hasMessageContaining("'proxy.local'");
        assertThatThrownBy(() -> TrustedProxies.parse(List.of("::1/129"))).hasMessageContaining("0-128");
        assertThat(TrustedProxies.parse(List.of("::/0")).trusts(ip("2001:db8::1"))).isTrue();
    }
}

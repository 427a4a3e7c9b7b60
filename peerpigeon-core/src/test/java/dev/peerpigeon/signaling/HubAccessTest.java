package dev.peerpigeon.signaling;

import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;

/** The protected-mode address rule and the secret rule, without sockets (HubAccessNetnsTest covers a real one). */
class HubAccessTest {

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    /** An IPv4-mapped IPv6 address kept as an Inet6Address (InetAddress.getByName would unwrap it). */
    private static InetAddress mapped(int a, int b, int c, int d) throws Exception {
        byte[] bytes = new byte[16];
        bytes[10] = (byte) 0xff;
        bytes[11] = (byte) 0xff;
        bytes[12] = (byte) a;
        bytes[13] = (byte) b;
        bytes[14] = (byte) c;
        bytes[15] = (byte) d;
        return Inet6Address.getByAddress(null, bytes, -1);
    }

    @Test
    void loopbackIsExactly127Slash8AndColonColon1IncludingIpv4Mapped() throws Exception {
        assertThat(HubAccess.isLoopback(ip("127.0.0.1"))).isTrue();
        assertThat(HubAccess.isLoopback(ip("127.255.3.4"))).isTrue();
        assertThat(HubAccess.isLoopback(ip("::1"))).isTrue();
        assertThat(HubAccess.isLoopback(mapped(127, 0, 0, 1))).isTrue();
        assertThat(HubAccess.isLoopback(mapped(127, 9, 8, 7))).isTrue();

        assertThat(HubAccess.isLoopback(ip("198.18.0.1"))).isFalse();
        assertThat(HubAccess.isLoopback(ip("10.0.0.1"))).isFalse();
        assertThat(HubAccess.isLoopback(ip("128.0.0.1"))).isFalse();
        assertThat(HubAccess.isLoopback(ip("0.0.0.0"))).isFalse();
        assertThat(HubAccess.isLoopback(ip("::"))).isFalse();
        assertThat(HubAccess.isLoopback(ip("::2"))).isFalse();
        assertThat(HubAccess.isLoopback(ip("fe80::1"))).isFalse();
        assertThat(HubAccess.isLoopback(ip("::7f00:1"))).isFalse(); // IPv4-compatible (deprecated), not mapped
        assertThat(HubAccess.isLoopback(mapped(10, 0, 0, 1))).isFalse();
        assertThat(HubAccess.isLoopback(null)).isFalse();
    }

    @Test
    void withoutASecretOnlyLoopbackUnlessOpenedWithASecretOnlyTheSecret() throws Exception {
        HubAccess protectedMode = new HubAccess(null, false);
        assertThat(protectedMode.authorized(ip("127.0.0.1"), null)).isTrue();
        assertThat(protectedMode.authorized(ip("::1"), null)).isTrue();
        assertThat(protectedMode.authorized(ip("198.18.0.1"), null)).isFalse();
        assertThat(protectedMode.authorized(ip("198.18.0.1"), "anything")).isFalse();
        assertThat(protectedMode.authorized(null, null)).isFalse();
        assertThat(protectedMode.open()).isFalse();
        assertThat(protectedMode.describeMode()).contains("loopback only", "HUB_SECRET", "ALLOW_UNAUTHENTICATED_HUBS");

        HubAccess open = new HubAccess(null, true);
        assertThat(open.authorized(ip("198.18.0.1"), null)).isTrue();
        assertThat(open.open()).isTrue();

        HubAccess secret = new HubAccess("s3cret-key-1", true); // a secret makes allowUnauthenticated irrelevant
        assertThat(secret.authorized(ip("198.18.0.1"), "s3cret-key-1")).isTrue();
        assertThat(secret.authorized(ip("127.0.0.1"), null)).isFalse();
        assertThat(secret.authorized(ip("127.0.0.1"), "s3cret-key-2")).isFalse();
        assertThat(secret.authorized(ip("127.0.0.1"), "s3cret-key-1x")).isFalse();
        assertThat(secret.authorized(ip("127.0.0.1"), "s3cret-key-")).isFalse();
        assertThat(secret.authorized(ip("127.0.0.1"), "")).isFalse();
        assertThat(secret.secretMatches(null)).isFalse();
        assertThat(secret.open()).isFalse();
    }

    @Test
    void refusalsAreLoggedOncePerMinutePerAddressWithABoundedMemory() throws Exception {
        HubAccess access = new HubAccess(null, false);
        InetAddress a = ip("198.18.0.1");
        InetAddress b = ip("198.18.0.2");
        long t = 1_000_000;
        assertThat(access.shouldLog(a, t)).isTrue();
        assertThat(access.shouldLog(a, t + 1)).isFalse();
        assertThat(access.shouldLog(b, t + 1)).isTrue();
        assertThat(access.shouldLog(a, t + HubAccess.LOG_INTERVAL_MILLIS - 1)).isFalse();
        assertThat(access.shouldLog(a, t + HubAccess.LOG_INTERVAL_MILLIS)).isTrue();
        // A spray of addresses: at most MAX_TRACKED_ADDRESSES are remembered; the rest are not logged until old
        // entries expire.
        HubAccess sprayed = new HubAccess(null, false);
        int logged = 0;
        for (int i = 0; i < HubAccess.MAX_TRACKED_ADDRESSES + 500; i++) {
            byte[] addr = {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i};
            logged += sprayed.shouldLog(InetAddress.getByAddress(addr), t) ? 1 : 0;
        }
        assertThat(logged).isEqualTo(HubAccess.MAX_TRACKED_ADDRESSES);
        assertThat(sprayed.shouldLog(ip("11.0.0.1"), t + HubAccess.LOG_INTERVAL_MILLIS)).isTrue();
    }
}

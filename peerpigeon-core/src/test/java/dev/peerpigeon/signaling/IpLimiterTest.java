package dev.peerpigeon.signaling;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;

/** Per-IP and total connection admission, without sockets. */
class IpLimiterTest {
    private static final InetAddress A = addr("192.0.2.1");
    private static final InetAddress B = addr("192.0.2.2");

    private static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void upgradesBeyondThePerIpLimitAreRefusedAndOtherAddressesAreNot() {
        IpLimiter l = new IpLimiter(2, 0, 100);
        assertThat(l.accepted(A)).isTrue();
        assertThat(l.accepted(A)).isTrue();
        assertThat(l.tryAdmit(A)).isNull();
        assertThat(l.accepted(A)).as("up to twice the limit is accepted at the TCP level").isTrue();
        assertThat(l.tryAdmit(A)).contains("Too many connections from your address (2)");
        assertThat(l.accepted(B)).isTrue();
        assertThat(l.tryAdmit(B)).isNull();
        assertThat(l.openFrom(A)).isEqualTo(3);
        assertThat(l.openSockets()).isEqualTo(4);
    }

    @Test
    void beyondTwiceThePerIpLimitTheAcceptIsRefusedAndCountsNothing() {
        IpLimiter l = new IpLimiter(2, 0, 100);
        for (int i = 0; i < 4; i++) {
            assertThat(l.accepted(A)).isTrue();
        }
        assertThat(l.accepted(A)).isFalse();
        assertThat(l.openFrom(A)).isEqualTo(4);
        assertThat(l.openSockets()).isEqualTo(4);
        l.released(A);
        assertThat(l.accepted(A)).as("a released slot is reusable").isTrue();
    }

    @Test
    void totalSocketsAreBoundedAtTwiceMaxConnections() {
        IpLimiter l = new IpLimiter(0, 0, 2);
        for (int i = 0; i < 4; i++) {
            assertThat(l.accepted(addr("198.51.100." + (i + 1)))).isTrue();
        }
        assertThat(l.accepted(B)).isFalse();
        assertThat(l.openSockets()).isEqualTo(4);
    }

    @Test
    void newConnectionsPerSecondHaveABurstOfTwiceTheRate() {
        IpLimiter l = new IpLimiter(0, 2, 100);
        l.accepted(A);
        for (int i = 0; i < 4; i++) {
            assertThat(l.tryAdmit(A)).as("upgrade %d of the burst", i).isNull();
        }
        assertThat(l.tryAdmit(A)).contains("Too many new connections from your address (2 per second)");
        l.accepted(B);
        assertThat(l.tryAdmit(B)).isNull();
    }

    @Test
    void sweepForgetsIdleAddressesOnlyAndAcceptsCountAgainAfterIt() {
        IpLimiter l = new IpLimiter(1, 0, 100);
        l.accepted(A);
        l.accepted(B);
        l.released(B);
        l.sweep();
        assertThat(l.openFrom(A)).as("an address with an open connection is kept").isEqualTo(1);
        assertThat(l.openFrom(B)).isZero();
        assertThat(l.accepted(B)).isTrue();
        assertThat(l.openFrom(B)).isEqualTo(1);
        assertThat(l.accepted(A)).isTrue();
        assertThat(l.tryAdmit(A)).as("the kept record still counts").isNotNull();
    }

    @Test
    void disabledLimitsAdmitEverythingButTheTotal() {
        IpLimiter l = new IpLimiter(0, 0, 100);
        for (int i = 0; i < 50; i++) {
            assertThat(l.accepted(A)).isTrue();
            assertThat(l.tryAdmit(A)).isNull();
        }
        assertThat(l.accepted(null)).isTrue();
        assertThat(l.tryAdmit(null)).isNull();
    }
}

package dev.peerpigeon.support;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LogThrottleTest {
    @Test
    void oneLinePerIntervalAndTheRestCounted() {
        LogThrottle t = new LogThrottle(60_000);
        assertThat(t.tryAcquire()).isZero();
        for (int i = 0; i < 100; i++) {
            assertThat(t.tryAcquire()).isEqualTo(-1);
        }
        LogThrottle fast = new LogThrottle(0);
        assertThat(fast.tryAcquire()).isZero();
        assertThat(fast.tryAcquire()).isZero();
        assertThat(LogThrottle.suffix(0)).isEmpty();
        assertThat(LogThrottle.suffix(3)).isEqualTo(" (3 similar suppressed)");
    }

    @Test
    void theSuppressedCountComesWithTheNextLine() {
        LogThrottle t = new LogThrottle(50);
        assertThat(t.tryAcquire()).isZero();
        int suppressed = 0;
        int next;
        long deadline = System.nanoTime() + 5_000_000_000L;
        while ((next = t.tryAcquire()) < 0 && System.nanoTime() < deadline) {
            suppressed++;
        }
        assertThat(next).isEqualTo(suppressed);
    }
}

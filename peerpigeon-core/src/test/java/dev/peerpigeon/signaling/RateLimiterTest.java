package dev.peerpigeon.signaling;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-client token bucket, driven by an explicit clock (nanoseconds). */
class RateLimiterTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aFullBurstPassesThenFramesAreDroppedWithOneWarningASecond() {
        RateLimiter r = new RateLimiter(10, 5, 0);
        for (int i = 0; i < 5; i++) {
            assertThat(r.acquire(0)).as("frame %d of the burst", i).isEqualTo(RateLimiter.Verdict.PASS);
        }
        assertThat(r.acquire(0)).isEqualTo(RateLimiter.Verdict.DROP_AND_WARN);
        assertThat(r.acquire(1)).as("second refusal within the second: no new warning").isEqualTo(RateLimiter.Verdict.DROP);
    }

    @Test
    void tokensRefillAtTheSustainedRateUpToTheBurst() {
        RateLimiter r = new RateLimiter(10, 5, 0);
        for (int i = 0; i < 5; i++) {
            r.acquire(0);
        }
        assertThat(r.acquire(SECOND / 10)).as("one token after 100 ms at 10/s").isEqualTo(RateLimiter.Verdict.PASS);
        assertThat(r.acquire(SECOND / 10)).isNotEqualTo(RateLimiter.Verdict.PASS);
        long later = 100 * SECOND; // a long pause refills to the burst, not beyond
        for (int i = 0; i < 5; i++) {
            assertThat(r.acquire(later)).isEqualTo(RateLimiter.Verdict.PASS);
        }
        assertThat(r.acquire(later)).isNotEqualTo(RateLimiter.Verdict.PASS);
    }

    @Test
    void aClientStillSendingAfterAWholeBurstOfRefusalsIsClosed() {
        RateLimiter r = new RateLimiter(1, 3, 0);
        for (int i = 0; i < 3; i++) {
            r.acquire(0);
        }
        for (int i = 0; i < 3; i++) {
            assertThat(r.acquire(0)).isIn(RateLimiter.Verdict.DROP, RateLimiter.Verdict.DROP_AND_WARN);
        }
        assertThat(r.acquire(0)).isEqualTo(RateLimiter.Verdict.CLOSE);
    }

    @Test
    void refusalsAreCountedPerTenSecondWindow() {
        RateLimiter r = new RateLimiter(1, 3, 0);
        for (int i = 0; i < 3; i++) {
            r.acquire(0);
        }
        for (int i = 0; i < 3; i++) {
            r.acquire(0);
        }
        // 11 s later the window restarts; the refilled tokens (3) pass, then refusals count from zero again
        long t = 11 * SECOND;
        for (int i = 0; i < 3; i++) {
            assertThat(r.acquire(t)).isEqualTo(RateLimiter.Verdict.PASS);
        }
        assertThat(r.acquire(t)).isNotEqualTo(RateLimiter.Verdict.CLOSE);
    }
}

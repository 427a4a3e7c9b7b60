package dev.peerpigeon.federation;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RedialPolicyTest {
    private final RedialPolicy policy = new RedialPolicy(1_000, 30_000, 3);

    @Test
    void theDelayDoublesPerFailureUpToTheCap() {
        assertThat(policy.delayMillis(1, 0.5)).isEqualTo(1_000);
        assertThat(policy.delayMillis(2, 0.5)).isEqualTo(2_000);
        assertThat(policy.delayMillis(3, 0.5)).isEqualTo(4_000);
        assertThat(policy.delayMillis(10, 0.5)).isEqualTo(30_000);
        assertThat(policy.delayMillis(1_000, 0.5)).isEqualTo(30_000); // no shift overflow
    }

    @Test
    void jitterStaysWithinTwentyPercent() {
        assertThat(policy.delayMillis(2, 0.0)).isEqualTo(1_600);
        assertThat(policy.delayMillis(2, 0.999_999)).isBetween(2_399L, 2_400L);
        assertThat(policy.delayMillis(10, 0.0)).isEqualTo(24_000);
    }

    @Test
    void itGivesUpAfterMaxAttemptsInARowAndNeverWhenUnbounded() {
        assertThat(policy.giveUp(3)).isFalse();
        assertThat(policy.giveUp(4)).isTrue();
        assertThat(new RedialPolicy(1_000, 30_000, 0).giveUp(1_000_000)).isFalse();
    }

    @Test
    void aLinkUpTenSecondsIsHealthyAndResetsTheCount() {
        assertThat(policy.healthy(RedialPolicy.HEALTHY_MILLIS)).isTrue();
        assertThat(policy.healthy(RedialPolicy.HEALTHY_MILLIS - 1)).isFalse();
    }

    @Test
    void theFirstRedialAfterAHealthyLinkComesWithinASecondWithJitter() {
        RedialPolicy defaults = new RedialPolicy(5_000, 60_000, 10);
        assertThat(defaults.quickMillis(0.0)).isEqualTo(500);
        assertThat(defaults.quickMillis(0.999_999)).isBetween(999L, 1_000L);
        assertThat(new RedialPolicy(200, 1_000, 0).quickMillis(0.0)).isEqualTo(100); // never slower than the base
    }
}

package dev.peerpigeon.federation;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.peerpigeon.federation.Fakes.id;
import static org.assertj.core.api.Assertions.assertThat;

class LinkGuardTest {
    @Test
    void aBucketAllowsItsBurstThenItsRate() {
        LinkGuard.TokenBucket b = new LinkGuard.TokenBucket(10, 50, 0);
        for (int i = 0; i < 50; i++) {
            assertThat(b.take(0)).as("token %d", i).isTrue();
        }
        assertThat(b.take(0)).isFalse();
        assertThat(b.take(50_000_000)).isFalse(); // half a token after 50 ms
        assertThat(b.take(100_000_000)).isTrue(); // one after 100 ms at 10/s
        assertThat(b.take(100_000_000)).isFalse();
        assertThat(b.take(60_000_000_000L)).isTrue(); // refills to the burst, never beyond
        int n = 1;
        while (b.take(60_000_000_000L)) {
            n++;
        }
        assertThat(n).isEqualTo(50);
    }

    @Test
    void theDirectoryBurstIsOneFullDumpPlusOneSecond() {
        LinkGuard.TokenBucket b = LinkGuard.directoryBucket(5);
        long now = System.nanoTime();
        int n = 0;
        while (b.take(now)) {
            n++;
        }
        assertThat(n).isEqualTo(5 + LinkGuard.DIRECTORY_RATE);
    }

    @Test
    void aSeqBeyondTheOriginsPlausibleClockIsRefused() {
        long now = 1_700_000_000_000L;
        long bound = (now + LinkGuard.SEQ_SLACK_MILLIS) * 1000;
        assertThat(LinkGuard.checkOriginAndSeq(id('a'), bound, now)).isNull();
        assertThat(LinkGuard.checkOriginAndSeq(id('a'), bound + 1, now)).isEqualTo(LinkGuard.Refusal.SEQ_AHEAD);
        assertThat(LinkGuard.checkOriginAndSeq("not-a-hub", 1, now)).isEqualTo(LinkGuard.Refusal.BAD_ENTRY);
    }

    @Test
    void refusalsAreCountedByReasonAndPerLink() {
        LinkGuard guard = new LinkGuard();
        HubLink l = Fakes.link(id('a'), Map.of());
        guard.refuse(l, LinkGuard.Refusal.RATE_LIMITED, "x");
        guard.refuse(l, LinkGuard.Refusal.RATE_LIMITED, "y");
        guard.count(LinkGuard.Refusal.TOO_LARGE);
        assertThat(guard.counts()).containsEntry("rateLimited", 2L).containsEntry("tooLargeForNextLink", 1L)
                .containsEntry("badRoute", 0L).hasSize(LinkGuard.Refusal.values().length);
        assertThat(l.refused.get()).isEqualTo(2);
        assertThat(guard.acceptOriginAndSeq(l, id('b'), Long.MAX_VALUE)).isFalse();
        assertThat(guard.counts()).containsEntry("seqAhead", 1L);
    }
}

package dev.peerpigeon.federation;

import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.signaling.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Per-link checks of what an authenticated hub sends: rate budgets, {@code seq} plausibility, and the refusal
 * counters of {@code /hubstats}. Counters are atomic (any thread); a link's buckets belong to its reader thread.
 */
final class LinkGuard {
    private static final Logger log = LoggerFactory.getLogger(HubMesh.class);

    /** How far ahead of this hub's clock an origin's {@code seq} may be (clock skew allowance). */
    static final long SEQ_SLACK_MILLIS = 5 * 60_000;
    /** Sustained directory updates per second per link (the burst adds {@code maxRemotePeers}: one full dump). */
    static final int DIRECTORY_RATE = 10_000;
    /** Resync requests a link may send: per second, and burst. */
    static final int SYNC_RATE = 10;
    static final int SYNC_BURST = 50;
    /** Refusals are logged at most this often per link. */
    static final long REFUSAL_LOG_MILLIS = 60_000;

    /** Why a frame from a hub link was refused; {@code warn} ones are logged (once a minute per link). */
    enum Refusal {
        NOT_FROM_ROUTE("notFromRoute", false), SEQ_AHEAD("seqAhead", true), BAD_ENTRY("badEntry", true),
        RATE_LIMITED("rateLimited", true), HUB_ID("hubIdAsPeer", true), LIVE_HERE("peerLiveHere", false),
        BAD_ROUTE("badRoute", true), TOO_MANY_HUBS("tooManyHubs", true), TOO_LARGE("tooLargeForNextLink", false);

        final String key;
        final boolean warn;

        Refusal(String key, boolean warn) {
            this.key = key;
            this.warn = warn;
        }
    }

    private final AtomicLongArray refusals = new AtomicLongArray(Refusal.values().length);

    /** A token bucket; not thread-safe (one reader thread per link). Starts full. */
    static final class TokenBucket {
        private final double rate;
        private final double burst;
        private double tokens;
        private long last;

        TokenBucket(double ratePerSecond, double burst, long nowNanos) {
            this.rate = ratePerSecond;
            this.burst = burst;
            this.tokens = burst;
            this.last = nowNanos;
        }

        /** Takes one token at {@code nowNanos}; false when the bucket is empty. */
        boolean take(long nowNanos) {
            tokens = Math.min(burst, tokens + (nowNanos - last) * (rate / 1e9));
            last = nowNanos;
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        }
    }

    /** Directory updates: {@value #DIRECTORY_RATE}/s, burst {@code maxRemotePeers} + that (one full dump). */
    static TokenBucket directoryBucket(int maxRemotePeers) {
        return new TokenBucket(DIRECTORY_RATE, (double) maxRemotePeers + DIRECTORY_RATE, System.nanoTime());
    }

    /** Resync requests (answering one costs a directory dump). */
    static TokenBucket syncBucket() {
        return new TokenBucket(SYNC_RATE, SYNC_BURST, System.nanoTime());
    }

    /** Why a directory update's origin/seq is refused, or null: a hub id, and seq within its plausible clock. */
    static Refusal checkOriginAndSeq(String origin, long seq, long nowMillis) {
        if (!PeerId.isValid(origin)) {
            return Refusal.BAD_ENTRY;
        }
        return seq > (nowMillis + SEQ_SLACK_MILLIS) * 1000 ? Refusal.SEQ_AHEAD : null;
    }

    /** {@link #checkOriginAndSeq}, refusing on {@code link}; true when acceptable. */
    boolean acceptOriginAndSeq(HubLink link, String origin, long seq) {
        Refusal r = checkOriginAndSeq(origin, seq, System.currentTimeMillis());
        if (r == Refusal.BAD_ENTRY) {
            refuse(link, r, "invalid originHub");
        } else if (r != null) {
            refuse(link, r, "seq " + seq + " of hub " + PeerSession.shortId(origin) + " is more than "
                    + SEQ_SLACK_MILLIS / 1000 + " s ahead of this hub's clock (check the clocks)");
        }
        return r == null;
    }

    void count(Refusal why) {
        refusals.incrementAndGet(why.ordinal());
    }

    /** Counts a refused frame of {@code link}; logs it at most once a minute per link, never with a stack trace. */
    void refuse(HubLink link, Refusal why, String detail) {
        count(why);
        long total = link.refused.incrementAndGet();
        if (!why.warn) {
            log.debug("Refused a frame from {} ({}): {}", link, why.key, detail);
            return;
        }
        long now = System.currentTimeMillis();
        long last = link.lastRefusalLog.get();
        if (now - last >= REFUSAL_LOG_MILLIS && link.lastRefusalLog.compareAndSet(last, now)) {
            log.warn("Refused a frame from {} ({}): {}; {} refused on this link so far (logged at most once a minute)",
                    link, why.key, detail, total);
        } else {
            log.debug("Refused a frame from {} ({}): {}", link, why.key, detail);
        }
    }

    /** Frames refused on hub links since start, by reason. */
    Map<String, Long> counts() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Refusal r : Refusal.values()) {
            out.put(r.key, refusals.get(r.ordinal()));
        }
        return out;
    }
}

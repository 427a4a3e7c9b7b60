package dev.peerpigeon.federation;

/**
 * When to redial a hub: the first redial after a healthy link went down comes at once ({@link #quickMillis}:
 * at most {@value #QUICK_MILLIS} ms, jittered, so a restarted hub is re-linked in about a second); failed attempts
 * back off exponentially from {@code baseMillis} capped at {@code maxMillis}, with ±20 % jitter; a link that
 * stayed up {@value #HEALTHY_MILLIS} ms resets the count; {@code maxAttempts} failures in a row (0: never)
 * abandon the hub. Immutable, pure.
 */
record RedialPolicy(long baseMillis, long maxMillis, int maxAttempts) {
    /** A link that stayed up this long resets its redial backoff. */
    static final long HEALTHY_MILLIS = 10_000;
    /** Upper bound of the first redial after a healthy link went down. */
    static final long QUICK_MILLIS = 1_000;

    /**
     * Delay of the first redial after a healthy link went down: between half and all of
     * {@code min(baseMillis, QUICK_MILLIS)} (jittered, so hubs that lost the same peer do not dial in lockstep).
     */
    long quickMillis(double random) {
        long cap = Math.min(baseMillis, QUICK_MILLIS);
        return Math.max(1, (long) (cap * (0.5 + 0.5 * random)));
    }

    /** Delay before the next attempt after {@code failures} failures in a row; {@code random} in [0, 1). */
    long delayMillis(int failures, double random) {
        long delay = Math.min(maxMillis, baseMillis << Math.min(20, Math.max(0, failures - 1)));
        return (long) (delay * (0.8 + 0.4 * random));
    }

    /** True when {@code failures} in a row are too many. */
    boolean giveUp(int failures) {
        return maxAttempts > 0 && failures > maxAttempts;
    }

    /** True when a link that was up {@code upMillis} resets the failure count. */
    boolean healthy(long upMillis) {
        return upMillis >= HEALTHY_MILLIS;
    }
}

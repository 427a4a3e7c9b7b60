package dev.peerpigeon.signaling;

/**
 * Token bucket for one client's inbound frames. Confined to the connection's transport worker thread
 * (frames of one connection are handled in order on one thread), so it needs no synchronisation.
 */
final class RateLimiter {
    /** What to do with one frame. */
    enum Verdict { PASS, DROP, DROP_AND_WARN, CLOSE }

    private static final long WINDOW_NANOS = 10_000_000_000L;
    private final double perNano;
    private final double burst;
    private double tokens;
    private long last;
    private long windowStart;
    private int droppedInWindow;
    private long lastWarning;

    RateLimiter(int perSecond, int burst, long nowNanos) {
        this.perNano = perSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
        this.last = nowNanos;
        this.windowStart = nowNanos;
        this.lastWarning = nowNanos - 2_000_000_000L;
    }

    Verdict acquire(long nowNanos) {
        tokens = Math.min(burst, tokens + (nowNanos - last) * perNano);
        last = nowNanos;
        if (tokens >= 1) {
            tokens -= 1;
            return Verdict.PASS;
        }
        if (nowNanos - windowStart > WINDOW_NANOS) {
            windowStart = nowNanos;
            droppedInWindow = 0;
        }
        droppedInWindow++;
        if (droppedInWindow > burst) {
            return Verdict.CLOSE; // refused a whole burst's worth within 10 s and still sending: a flood
        }
        if (nowNanos - lastWarning >= 1_000_000_000L) {
            lastWarning = nowNanos;
            return Verdict.DROP_AND_WARN;
        }
        return Verdict.DROP;
    }
}

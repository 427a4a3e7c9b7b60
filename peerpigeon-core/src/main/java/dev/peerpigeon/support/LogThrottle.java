package dev.peerpigeon.support;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets at most one log line through per interval and counts the others, so a client that keeps causing the
 * same error costs one line a second, not one per frame. One instance per connection (or per server for
 * server-wide lines). Thread-safe and lock-free: any thread may call {@link #tryAcquire}.
 */
public final class LogThrottle {
    private final long intervalNanos;
    private final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
    private final AtomicInteger suppressed = new AtomicInteger();

    public LogThrottle(long intervalMillis) {
        this.intervalNanos = intervalMillis * 1_000_000L;
    }

    /** One line a second. */
    public static LogThrottle perSecond() {
        return new LogThrottle(1000);
    }

    /**
     * Returns -1 when this occurrence must not be logged (it is counted), else the number of occurrences
     * suppressed since the last line, to be mentioned in this one.
     */
    public int tryAcquire() {
        long now = System.nanoTime();
        long next = nextAllowed.get();
        if ((next == Long.MIN_VALUE || now - next >= 0) && nextAllowed.compareAndSet(next, now + intervalNanos)) {
            return suppressed.getAndSet(0);
        }
        suppressed.incrementAndGet();
        return -1;
    }

    /** " (N more suppressed)" for a count from {@link #tryAcquire}, or "" when there were none. */
    public static String suffix(int suppressed) {
        return suppressed > 0 ? " (" + suppressed + " similar suppressed)" : "";
    }
}

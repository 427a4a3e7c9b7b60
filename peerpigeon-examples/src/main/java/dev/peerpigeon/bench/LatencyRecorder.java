package dev.peerpigeon.bench;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lock-free latency samples (microseconds), capped, and their percentiles; the client loop thread records,
 * the workload thread sorts once the run is over.
 */
final class LatencyRecorder {
    private final long[] samples;
    private final AtomicInteger next = new AtomicInteger();

    LatencyRecorder(int capacity) {
        samples = new long[capacity];
    }

    void record(long micros) {
        int i = next.getAndIncrement();
        if (i < samples.length) {
            samples[i] = micros;
        }
    }

    long[] sorted() {
        long[] copy = Arrays.copyOf(samples, Math.min(next.get(), samples.length));
        Arrays.sort(copy);
        return copy;
    }

    /** The {@code p}th percentile of {@code sorted} (nearest rank), 0 when empty. */
    static long pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int idx = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, idx)];
    }
}

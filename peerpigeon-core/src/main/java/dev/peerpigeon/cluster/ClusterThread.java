package dev.peerpigeon.cluster;

import dev.peerpigeon.support.SerialThread;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The single cluster thread: directory changes, writes, heartbeats, in order. Any thread may post; at most
 * {@value #MAX_PENDING} posted tasks wait (beyond that a post is dropped, counted, and {@code onOverflow} runs, which
 * makes the node re-register everything later). A task's failure is logged (throttled) and does not stop the thread.
 */
final class ClusterThread extends SerialThread {
    static final int MAX_PENDING = 100_000;

    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicLong dropped;
    private final Runnable onOverflow;

    ClusterThread(String name, AtomicLong dropped, Runnable onOverflow) {
        super(name, LoggerFactory.getLogger(RedisCluster.class), "Cluster task");
        this.dropped = dropped;
        this.onOverflow = onOverflow;
    }

    @Override
    public boolean post(Runnable r) {
        if (pending.incrementAndGet() > MAX_PENDING) {
            pending.decrementAndGet();
            dropped.incrementAndGet();
            onOverflow.run();
            return false;
        }
        boolean queued = super.post(() -> {
            pending.decrementAndGet();
            r.run();
        });
        if (!queued) {
            pending.decrementAndGet();
        }
        return queued;
    }
}

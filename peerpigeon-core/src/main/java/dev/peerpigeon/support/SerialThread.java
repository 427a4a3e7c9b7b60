package dev.peerpigeon.support;

import org.slf4j.Logger;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One daemon thread that runs posted and scheduled tasks in order (the hub mesh's and the cluster's state live on
 * one each). Any thread may post; a task's failure is logged (throttled, stack trace at DEBUG) and does not stop
 * the thread. After {@link #markStopped()} or {@link #shutdown()} posts are dropped.
 */
public class SerialThread {
    private final ScheduledExecutorService exec;
    private final Logger log;
    private final String what;
    private final LogThrottle failureLog = LogThrottle.perSecond();
    private volatile boolean stopped;

    /** @param what names the tasks in the failure line, e.g. "Hub mesh task" */
    protected SerialThread(String name, Logger log, String what) {
        this.log = log;
        this.what = what;
        this.exec = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    public boolean stopped() {
        return stopped;
    }

    /** Runs {@code r} on the thread (dropped once stopping); false when it was dropped. */
    public boolean post(Runnable r) {
        if (stopped) {
            return false;
        }
        try {
            exec.execute(() -> guarded(r));
            return true;
        } catch (RejectedExecutionException stopping) {
            return false;
        }
    }

    /** Runs {@code r} on the thread after {@code millis}; false when stopping (nothing scheduled). */
    public boolean schedule(Runnable r, long millis) {
        try {
            exec.schedule(() -> guarded(r), millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (RejectedExecutionException stopping) {
            return false;
        }
    }

    public void every(Runnable r, long millis) {
        exec.scheduleWithFixedDelay(() -> guarded(r), millis, millis, TimeUnit.MILLISECONDS);
    }

    /** Marks the thread stopping (posts are dropped from now on). */
    public void markStopped() {
        stopped = true;
    }

    /** Stops the thread, waiting up to 2 s for the running task. */
    public void shutdown() {
        stopped = true;
        exec.shutdownNow();
        try {
            exec.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void guarded(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            int suppressed = failureLog.tryAcquire();
            if (suppressed >= 0) {
                log.warn("{} failed: {}{}", what, e.toString(), LogThrottle.suffix(suppressed));
            }
            log.debug(what + " failure", e);
        }
    }
}

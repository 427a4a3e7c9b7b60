package dev.peerpigeon.transport;

import dev.peerpigeon.support.LogThrottle;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.Channel;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * Keeps accepting alive near the file-descriptor limit: running out of descriptors pauses accepting instead of
 * closing the listening socket (a few descriptors are held in reserve and released just before each accept),
 * and accepting resumes with a backoff once descriptors free up.
 *
 * <p>Threads: {@link #beforeAccept} and {@link #admit} run on the selector thread, {@link #resumeAccepting} on
 * the transport's timer thread, the socket counter is updated from any close path; shared fields are volatile or
 * atomic and the reserve is synchronized.
 */
final class AcceptGuard {
    private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);

    /**
     * Descriptors held back so that an accept never fails with EMFILE (which would close the listening socket): the
     * two ends of the {@link Reserve}'s pipe, so fixed at 2.
     */
    static final int RESERVED_DESCRIPTORS = 2;
    /**
     * Descriptors left to the rest of the JVM when accepting pauses (class loading opens files, hub links open
     * sockets): accepting stops this far from the limit instead of at it.
     */
    static final int DESCRIPTOR_HEADROOM = 16;
    static final long ACCEPT_BACKOFF_MIN_MILLIS = 10;
    static final long ACCEPT_BACKOFF_MAX_MILLIS = 1000;

    private final ScheduledExecutorService timer;
    private final BooleanSupplier stopping;
    /** Sockets lingering after their close: their descriptors are still open. */
    private final IntSupplier lingering;
    private final Reserve reserve = new Reserve();
    private final LogThrottle descriptorLog = LogThrottle.perSecond();
    private volatile SelectionKey acceptKey;
    /** Current pause after running out of descriptors; 0 while accepting normally. Selector + timer threads. */
    private volatile long acceptBackoffMillis;
    private final AtomicLong refusedNoDescriptor = new AtomicLong();
    /** The process's descriptor limit (0: unknown), and its descriptors in use at start besides our sockets. */
    private final long descriptorLimit = descriptorCount(true);
    private volatile long descriptorBaseline;
    /** Accepted sockets not closed yet (an O(1) estimate of our descriptors, with the baseline). */
    private final AtomicInteger openSockets = new AtomicInteger();

    AcceptGuard(ScheduledExecutorService timer, BooleanSupplier stopping, IntSupplier lingering) {
        this.timer = timer;
        this.stopping = stopping;
        this.lingering = lingering;
    }

    /** Once listening: the descriptors in use besides ours, and the reserve filled. */
    void started() {
        descriptorBaseline = descriptorCount(false);
        reserve.refill();
    }

    /** The listening socket's key, or null before the first accept. */
    SelectionKey acceptKey() {
        return acceptKey;
    }

    /** Selector thread, just before each accept: free the reserved descriptors for it. */
    void beforeAccept(SelectionKey key) {
        acceptKey = key;
        reserve.release();
    }

    /**
     * Selector thread, on each accepted channel: refills the reserve; when that fails or the limit is near,
     * closes the channel, pauses accepting and returns false.
     */
    boolean admit(Channel channel) {
        if (!reserve.refill() || nearDescriptorLimit()) {
            closeQuietly(channel);
            pauseAccepting();
            return false;
        }
        acceptBackoffMillis = 0;
        return true;
    }

    void socketOpened() {
        openSockets.incrementAndGet();
    }

    void socketReleased() {
        openSockets.decrementAndGet();
    }

    /** Stop: give the reserved descriptors back, for good (a timer task still running cannot refill them). */
    void release() {
        reserve.close();
    }

    /** The descriptor limit ({@code max}) or the descriptors open now, where the JVM tells (0 otherwise). */
    private static long descriptorCount(boolean max) {
        try {
            if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                    instanceof com.sun.management.UnixOperatingSystemMXBean os) {
                return max ? os.getMaxFileDescriptorCount() : os.getOpenFileDescriptorCount();
            }
        } catch (RuntimeException | LinkageError e) {
            // not available on this JVM: the reserve alone protects the accept
        }
        return 0;
    }

    /** True when accepting one more socket would leave less than the headroom to the rest of the JVM. O(1). */
    private boolean nearDescriptorLimit() {
        return descriptorLimit > 0
                && descriptorBaseline + openSockets.get() + lingering.getAsInt() + RESERVED_DESCRIPTORS
                + DESCRIPTOR_HEADROOM >= descriptorLimit;
    }

    /** Selector thread: out of descriptors. Stop selecting the listening socket for a while (it stays open). */
    private void pauseAccepting() {
        SelectionKey key = acceptKey;
        refusedNoDescriptor.incrementAndGet();
        long backoff = acceptBackoffMillis == 0 ? ACCEPT_BACKOFF_MIN_MILLIS
                : Math.min(ACCEPT_BACKOFF_MAX_MILLIS, acceptBackoffMillis * 2);
        acceptBackoffMillis = backoff;
        int suppressed = descriptorLog.tryAcquire();
        if (suppressed >= 0) {
            log.warn("Out of file descriptors (ulimit -n {}): not accepting connections for {} ms; the listening socket "
                    + "stays open and accepting resumes when descriptors free up ({} connections refused so far){}",
                    descriptorLimit > 0 ? descriptorLimit : "?", backoff, refusedNoDescriptor.get(),
                    LogThrottle.suffix(suppressed));
        }
        if (key == null) {
            return;
        }
        try {
            key.interestOps(0);
            timer.schedule(this::resumeAccepting, backoff, TimeUnit.MILLISECONDS);
        } catch (CancelledKeyException | RejectedExecutionException e) {
            // stopping
        }
    }

    /** Timer thread: accept again once the reserve is full and one more descriptor is free; else back off more. */
    private void resumeAccepting() {
        SelectionKey key = acceptKey;
        if (stopping.getAsBoolean() || key == null) {
            return;
        }
        try {
            if (!nearDescriptorLimit() && reserve.refill() && reserve.probe()) {
                key.interestOps(SelectionKey.OP_ACCEPT);
                key.selector().wakeup();
                log.info("File descriptors available again: accepting connections");
                return;
            }
            long backoff = Math.min(ACCEPT_BACKOFF_MAX_MILLIS, Math.max(ACCEPT_BACKOFF_MIN_MILLIS, acceptBackoffMillis * 2));
            acceptBackoffMillis = backoff;
            int suppressed = descriptorLog.tryAcquire();
            if (suppressed >= 0) {
                log.warn("Still out of file descriptors: retrying in {} ms", backoff);
            }
            timer.schedule(this::resumeAccepting, backoff, TimeUnit.MILLISECONDS);
        } catch (CancelledKeyException | RejectedExecutionException e) {
            // stopping
        }
    }

    /**
     * Two open descriptors held back: the two ends of a pipe, which one {@code pipe2} call opens, against a
     * {@code socket} and two {@code setsockopt} calls for each of two unbound server sockets (they were a sixth of an
     * accept's syscalls). Released just before each accept so the accept itself cannot fail with EMFILE, refilled
     * right after; a failed refill means the process is at its limit. Selector and timer threads, hence synchronized.
     */
    private static final class Reserve {
        private Pipe held;
        private boolean closed;

        synchronized void close() {
            closed = true;
            release();
        }

        synchronized void release() {
            if (held != null) {
                closeQuietly(held.source());
                closeQuietly(held.sink());
                held = null;
            }
        }

        synchronized boolean refill() {
            try {
                if (held == null && !closed) {
                    held = Pipe.open();
                }
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        /** True when one more descriptor could be opened right now. */
        synchronized boolean probe() {
            try (ServerSocketChannel c = ServerSocketChannel.open()) {
                return c.isOpen();
            } catch (IOException e) {
                return false;
            }
        }
    }

    static void closeQuietly(Channel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }
}

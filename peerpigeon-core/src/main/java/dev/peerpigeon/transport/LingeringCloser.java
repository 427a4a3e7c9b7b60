package dev.peerpigeon.transport;

import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Lingering close of accepted sockets (see {@link #linger}).
 *
 * <p>Threads: {@link #linger} runs on whichever thread Java-WebSocket closes a channel from; the polls run on
 * the transport's timer thread (the discard buffer is the timer's alone). The set and the counter are concurrent.
 */
final class LingeringCloser {
    private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);

    /** At most this many closed sockets linger at once; beyond that a socket is closed at once. */
    static final int MAX_LINGERING = 1024;
    /** How long a closed socket is read and discarded at most, waiting for the peer's EOF. */
    static final long LINGER_MILLIS = 2000;
    static final long LINGER_POLL_MILLIS = 20;
    /** Bytes discarded per lingering socket per poll at most, so one flooder cannot hold the timer thread. */
    static final int LINGER_READ_PER_POLL = 1024 * 1024;

    private final ScheduledExecutorService timer;
    private final BooleanSupplier stopping;
    /** Closed sockets whose descriptor is still open while they linger; {@code lingeringCount} is their exact number. */
    private final Set<CountingChannel> lingering = ConcurrentHashMap.newKeySet();
    private final AtomicInteger lingeringCount = new AtomicInteger();
    /** True while a linger poll is scheduled on the timer. */
    private final AtomicBoolean lingerScheduled = new AtomicBoolean();
    /** Where lingering bytes are read to and forgotten. Timer thread only. */
    private final ByteBuffer discard = ByteBuffer.allocateDirect(16 * 1024);

    LingeringCloser(ScheduledExecutorService timer, BooleanSupplier stopping) {
        this.timer = timer;
        this.stopping = stopping;
    }

    /** Sockets lingering now (their descriptors count toward the accept limit). O(1). */
    int count() {
        return lingeringCount.get();
    }

    /**
     * Any thread, when Java-WebSocket closes a socket's channel (after its close frame or HTTP answer was flushed,
     * or on EOF / error): instead of closing the descriptor at once, like nginx's lingering close, send FIN after
     * what we wrote and keep reading and discarding for at most {@link #LINGER_MILLIS}. Closing with unread bytes
     * in the receive buffer sends a TCP reset, and a reset makes the peer's kernel discard what it has not read
     * yet: a client that floods until it is closed for it would lose the close frame telling it why. Bounded:
     * at most {@link #MAX_LINGERING} sockets, nothing read is kept, the descriptors count toward the accept
     * limit, and stop closes them all. Returns false when the channel must be closed at once instead.
     */
    boolean linger(CountingChannel c) {
        if (stopping.getAsBoolean() || !c.lingers || !c.channel.isOpen()) {
            return false;
        }
        if (lingeringCount.incrementAndGet() > MAX_LINGERING) {
            lingeringCount.decrementAndGet();
            return false;
        }
        try {
            c.channel.shutdownOutput(); // FIN after the close frame: the peer reads it, then EOF
        } catch (IOException | RuntimeException e) {
            lingeringCount.decrementAndGet();
            return false; // already reset or not connected: nothing left to protect
        }
        c.lingerUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LINGER_MILLIS);
        lingering.add(c);
        scheduleLingerPoll(0); // the first drain at once: a peer that closed already costs no wait
        if (stopping.getAsBoolean()) {
            closeLingering(); // stop() may have passed its own sweep of the lingering sockets already
        }
        return true;
    }

    private void scheduleLingerPoll(long delayMillis) {
        if (lingerScheduled.compareAndSet(false, true)) {
            try {
                timer.schedule(this::lingerPoll, delayMillis, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                lingerScheduled.set(false);
                closeLingering(); // stopping: the timer is gone
            }
        }
    }

    /** Timer thread: discards what lingering sockets sent; closes those at EOF, failed, or past their time. */
    private void lingerPoll() {
        try {
            long now = System.nanoTime();
            for (CountingChannel c : lingering) {
                if (drainedToEof(c) || now - c.lingerUntil > 0) {
                    endLinger(c);
                }
            }
        } catch (RuntimeException e) {
            log.error("Linger poll failed", e);
        } finally {
            lingerScheduled.set(false);
            if (!lingering.isEmpty()) {
                scheduleLingerPoll(LINGER_POLL_MILLIS);
            }
        }
    }

    /** Timer thread: reads and forgets what is readable now; true at EOF or on an error (nothing more will come). */
    private boolean drainedToEof(CountingChannel c) {
        try {
            int total = 0;
            while (total < LINGER_READ_PER_POLL) {
                discard.clear();
                int n = c.channel.read(discard);
                if (n < 0) {
                    return true;
                }
                if (n == 0) {
                    return false;
                }
                total += n;
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    private void endLinger(CountingChannel c) {
        if (lingering.remove(c)) {
            lingeringCount.decrementAndGet();
            closeQuietly(c.channel);
        }
    }

    /** Closes every lingering socket now (stop). */
    void closeLingering() {
        for (CountingChannel c : lingering) {
            endLinger(c);
        }
    }

    /** Marks a socket to be closed without lingering when the library closes it (abort, timeout, stop). */
    static void closeAtOnce(WebSocket socket) {
        if (socket instanceof WebSocketImpl impl && impl.getChannel() instanceof CountingChannel c) {
            c.lingers = false;
        }
    }

    private static void closeQuietly(Channel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }
}

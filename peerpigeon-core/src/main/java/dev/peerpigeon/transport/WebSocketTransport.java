package dev.peerpigeon.transport;

import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.signaling.SharedFrame;
import dev.peerpigeon.support.Redaction;
import dev.peerpigeon.support.LogThrottle;
import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.http.HttpResponse;

import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.WebSocketServerFactory;
import org.java_websocket.drafts.Draft;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.HandshakeImpl1Server;
import org.java_websocket.handshake.ServerHandshakeBuilder;
import org.java_websocket.server.WebSocketServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.Channel;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The WebSocket + HTTP server socket, built on Java-WebSocket. Everything Java-WebSocket specific
 * stays in this package; the layers above see {@link Connection}, {@link RequestHead} and
 * {@link HttpResponse}.
 *
 * <p>Threads: one selector thread accepts and writes; {@code workers} decoder threads parse frames.
 * All frames of one connection are delivered in order on the same worker. Close callbacks may come
 * from the selector thread. One "transport" thread of our own runs the handshake-timeout sweep, the linger poll, the
 * accept resume after running out of file descriptors, and the failure report. Single use: start once,
 * stop once.
 *
 * <p>What Java-WebSocket does not do, this class adds: every accepted socket is tracked until it closes
 * ({@link TransportHandler#onAccepted}/{@link TransportHandler#onDisconnected}, exactly once each) and
 * closed when its request head is not complete within the handshake timeout; running out of file
 * descriptors pauses accepting instead of closing the listening socket (a few descriptors are held in
 * reserve and released just before each accept); a transport that dies on its own (fatal error,
 * dead selector or worker thread) is reported once through {@link TransportHandler#onTransportFailure};
 * and closed sockets linger (see {@link #linger}) so that the close frame or HTTP answer we sent is not
 * destroyed by a TCP reset while the peer is still sending.
 *
 * @param <S> the handler's per-connection state
 */
public final class WebSocketTransport<S> {
    private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);

    /** Options of the server socket. */
    public record Settings(String host, int port, int maxFrameSize, int workers, int maxQueuedFrames, int maxQueuedBytes,
                           long handshakeTimeoutMillis) {
    }

    /** Descriptors held back so that an accept never fails with EMFILE (which would close the listening socket). */
    static final int RESERVED_DESCRIPTORS = 2;
    /**
     * Descriptors left to the rest of the JVM when accepting pauses (class loading opens files, hub links open
     * sockets): accepting stops this far from the limit instead of at it.
     */
    static final int DESCRIPTOR_HEADROOM = 16;
    static final long ACCEPT_BACKOFF_MIN_MILLIS = 10;
    static final long ACCEPT_BACKOFF_MAX_MILLIS = 1000;
    /** At most this many closed sockets linger at once; beyond that a socket is closed at once. */
    static final int MAX_LINGERING = 1024;
    /** How long a closed socket is read and discarded at most, waiting for the peer's EOF. */
    static final long LINGER_MILLIS = 2000;
    static final long LINGER_POLL_MILLIS = 20;
    /** Bytes discarded per lingering socket per poll at most, so one flooder cannot hold the timer thread. */
    static final int LINGER_READ_PER_POLL = 1024 * 1024;

    private final Settings settings;
    private final TransportHandler<S> handler;
    private final Server server;
    private final CountDownLatch started = new CountDownLatch(1);
    private final AtomicReference<Exception> startError = new AtomicReference<>();
    /** Accepted sockets whose upgrade has not completed (HTTP-only answers stay here until closed). */
    private final Set<Tracked> pending = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;
    private final Reserve reserve = new Reserve();
    private final LogThrottle descriptorLog = LogThrottle.perSecond();
    private final LogThrottle requestLog = LogThrottle.perSecond();
    private final AtomicBoolean failed = new AtomicBoolean();
    private volatile boolean stopping;
    private volatile boolean running;
    private volatile Thread selectorThread;
    private volatile SelectionKey acceptKey;
    /** Current pause after running out of descriptors; 0 while accepting normally. Selector + timer threads. */
    private volatile long acceptBackoffMillis;
    private final java.util.concurrent.atomic.AtomicLong refusedNoDescriptor = new java.util.concurrent.atomic.AtomicLong();
    /** The process's descriptor limit (0: unknown), and its descriptors in use at start besides our sockets. */
    private final long descriptorLimit = descriptorCount(true);
    private volatile long descriptorBaseline;
    /** Accepted sockets not closed yet (an O(1) estimate of our descriptors, with the baseline). */
    private final java.util.concurrent.atomic.AtomicInteger openSockets = new java.util.concurrent.atomic.AtomicInteger();
    /** Closed sockets whose descriptor is still open while they linger; {@code lingeringCount} is their exact number. */
    private final Set<CountingChannel> lingering = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicInteger lingeringCount = new java.util.concurrent.atomic.AtomicInteger();
    /** True while a linger poll is scheduled on the timer. */
    private final AtomicBoolean lingerScheduled = new AtomicBoolean();
    /** Where lingering bytes are read to and forgotten. Timer thread only. */
    private final ByteBuffer discard = ByteBuffer.allocateDirect(16 * 1024);

    public WebSocketTransport(Settings settings, TransportHandler<S> handler) {
        this.settings = settings;
        this.handler = handler;
        this.server = new Server(new InetSocketAddress(settings.host(), settings.port()), settings.workers(),
                List.of(new HttpUpgradeDraft(settings.maxFrameSize())));
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "peerpigeon-transport-" + settings.port());
            t.setDaemon(true);
            return t;
        });
        server.setWebSocketFactory(new Factory());
        server.setReuseAddr(true);
        // The JDK's default accept backlog is 50: a crowd joining at once then loses SYNs and waits for
        // TCP's 1 s / 3 s / 7 s retransmits. The kernel caps this at net.core.somaxconn.
        server.setMaxPendingConnections(4096);
        server.setTcpNoDelay(true);
        server.setConnectionLostTimeout(0); // liveness is ours (pings + peerTimeout), see the signaling layer
        server.setDaemon(true);
    }

    /** True when {@code host:port} can be bound right now (used to pick a port before starting). */
    public static boolean canBind(String host, int port) {
        try (ServerSocketChannel ch = ServerSocketChannel.open()) {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(new InetSocketAddress(host, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Binds and starts; returns once the socket listens, or throws the bind failure. */
    public void start(long timeoutMillis) throws IOException {
        server.start();
        try {
            if (!started.await(timeoutMillis, TimeUnit.MILLISECONDS)) {
                stop(1000);
                throw new IOException("Server did not start within " + timeoutMillis + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while starting", e);
        }
        Exception error = startError.get();
        if (error != null) {
            if (error instanceof IOException io) {
                throw io;
            }
            throw new IOException(error.getMessage(), error);
        }
        descriptorBaseline = descriptorCount(false);
        reserve.refill();
        long sweep = Math.max(10, Math.min(1000, settings.handshakeTimeoutMillis() / 4));
        timer.scheduleWithFixedDelay(this::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
    }

    /**
     * Timer thread: closes sockets whose request head (or HTTP answer) did not complete in time, and notices a
     * transport that died without telling (selector thread gone, listening socket closed). O(pending sockets).
     */
    private void sweep() {
        try {
            long now = System.nanoTime();
            long timeout = TimeUnit.MILLISECONDS.toNanos(settings.handshakeTimeoutMillis());
            for (Tracked t : pending) {
                if (now - t.acceptedAt > timeout) {
                    log.debug("Closing {}: request not complete within {} ms", t.remote, settings.handshakeTimeoutMillis());
                    closeAtOnce(t); // nothing of ours to deliver: don't hold its descriptor any longer
                    t.closeConnection(1002, "Handshake timeout");
                    release(t); // also when the library considers it closed already
                }
            }
            Thread selector = selectorThread;
            SelectionKey key = acceptKey;
            if (!stopping && selector != null && !selector.isAlive()) {
                failed(new IllegalStateException("the WebSocket selector thread died"));
            } else if (!stopping && key != null && !key.channel().isOpen()) {
                failed(new IOException("the listening socket was closed"));
            }
        } catch (RuntimeException e) {
            log.error("Transport sweep failed", e);
        }
    }

    /** Reports a transport that stopped on its own, once, off the failing thread (stopping joins the selector). */
    private void failed(Throwable cause) {
        if (stopping || !running || !failed.compareAndSet(false, true)) {
            return;
        }
        // A thread of its own: the report stops this transport, which joins the selector and ends the timer.
        Runnable report = () -> handler.onTransportFailure(cause);
        try {
            Thread t = new Thread(report, "peerpigeon-transport-failure");
            t.setDaemon(true);
            t.start();
        } catch (Throwable e) {
            report.run(); // no thread to be had (out of memory): report from here
        }
    }

    /** Counts the release of an accepted socket exactly once, whichever close path comes first. */
    private void release(Tracked t) {
        if (t.counted && t.released.compareAndSet(false, true)) {
            openSockets.decrementAndGet();
            pending.remove(t);
            handler.onDisconnected(t.remote);
        }
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
                && descriptorBaseline + openSockets.get() + lingeringCount.get() + RESERVED_DESCRIPTORS
                + DESCRIPTOR_HEADROOM >= descriptorLimit;
    }

    /** Marks a socket to be closed without lingering when the library closes it (abort, timeout, stop). */
    private static void closeAtOnce(WebSocket socket) {
        if (socket instanceof WebSocketImpl impl && impl.getChannel() instanceof CountingChannel c) {
            c.lingers = false;
        }
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
    private boolean linger(CountingChannel c) {
        if (stopping || !c.lingers || !c.channel.isOpen()) {
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
        if (stopping) {
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
    private void closeLingering() {
        for (CountingChannel c : lingering) {
            endLinger(c);
        }
    }

    /** The bound port (the real one after binding port 0). */
    public int port() {
        return server.getPort();
    }

    /** Closes the listening socket and any connection still open, waiting at most {@code timeoutMillis}. */
    public void stop(int timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(1, timeoutMillis));
        stopping = true;
        try {
            server.stop(Math.max(1, timeoutMillis), "Server shutting down");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // After a fatal error Java-WebSocket stops itself (stop(0) above returns at once then) and interrupts its
        // selector, which may die before writing the close frames it queued: those sockets would stay open, their
        // peers never told. Wait for the selector to end, then close whatever is still open.
        Thread selector = selectorThread;
        if (selector != null && selector != Thread.currentThread()) {
            try {
                selector.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        timer.shutdownNow();
        for (WebSocket ws : server.getConnections()) {
            if (ws instanceof WebSocketImpl impl) {
                closeAtOnce(impl);
                impl.closeConnection(1001, "Server shutting down");
            }
        }
        // Java-WebSocket only closes upgraded connections on stop: close the ones still in their handshake.
        for (Tracked t : new ArrayList<>(pending)) {
            closeAtOnce(t);
            t.closeConnection(1001, "Server shutting down");
            release(t);
        }
        closeLingering();
        reserve.release();
    }

    /**
     * A socket as Java-WebSocket sees it, plus what we track from accept to close. {@code remote} and
     * {@code counted} are written by the selector thread before the socket enters {@code pending} (and before any
     * byte of it is read); {@code released} is claimed by whichever close path comes first (any thread).
     */
    private static final class Tracked extends WebSocketImpl {
        final long acceptedAt = System.nanoTime();
        volatile InetSocketAddress remote;
        volatile boolean counted;
        final AtomicBoolean released = new AtomicBoolean();

        Tracked(WebSocketAdapter listener, List<Draft> drafts) {
            super(listener, drafts);
        }
    }

    /**
     * Creates {@link Tracked} sockets and sees each accepted channel first (selector thread): refills the
     * descriptor reserve (pausing accepts when that fails) and counts the socket.
     */
    private final class Factory implements WebSocketServerFactory {
        @Override
        public WebSocketImpl createWebSocket(WebSocketAdapter a, Draft d) {
            return new Tracked(a, List.of(d));
        }

        @Override
        public WebSocketImpl createWebSocket(WebSocketAdapter a, List<Draft> d) {
            return new Tracked(a, d);
        }

        @Override
        public java.nio.channels.ByteChannel wrapChannel(SocketChannel channel, SelectionKey key) {
            // Closing the channel here (instead of throwing) keeps the library's accept loop on its normal path.
            if (!reserve.refill() || nearDescriptorLimit()) {
                closeQuietly(channel);
                pauseAccepting();
                return channel;
            }
            acceptBackoffMillis = 0;
            if (!(key.attachment() instanceof Tracked t)) {
                return channel;
            }
            InetSocketAddress remote;
            try {
                remote = (InetSocketAddress) channel.getRemoteAddress();
            } catch (IOException | RuntimeException e) {
                closeQuietly(channel);
                return channel;
            }
            if (!handler.onAccepted(remote)) {
                log.debug("Closed {} at accept: connection limits", remote);
                closeQuietly(channel);
                return channel;
            }
            t.remote = remote;
            t.counted = true;
            openSockets.incrementAndGet();
            pending.add(t);
            return new CountingChannel(channel, WebSocketTransport.this::linger); // every write passes here: queued bytes are counted exactly
        }

        @Override
        public void close() {
        }
    }

    private static void closeQuietly(Channel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
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
        if (stopping || key == null) {
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
     * A few open descriptors held back (unbound socket channels). Released just before each accept so the accept
     * itself cannot fail with EMFILE, refilled right after; a failed refill means the process is at its limit.
     * Selector and timer threads, hence synchronized.
     */
    private static final class Reserve {
        private final List<Channel> held = new ArrayList<>(RESERVED_DESCRIPTORS);

        synchronized void release() {
            for (Channel c : held) {
                closeQuietly(c);
            }
            held.clear();
        }

        synchronized boolean refill() {
            try {
                while (held.size() < RESERVED_DESCRIPTORS) {
                    held.add(ServerSocketChannel.open());
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

    /**
     * Per-socket attachment: the request head until the upgrade completes, then the handler's state.
     * The open callback (a worker) and the close callback (possibly the selector thread) can race; the
     * volatile flags and {@code closeDelivered} make sure the handler hears of the close exactly once.
     */
    private static final class Attachment<S> {
        volatile RequestHead head;
        final boolean httpOnly;
        volatile Connection connection;
        volatile S state;
        volatile boolean socketClosed;
        volatile int closeCode = 1006;
        volatile String closeReason = "closed while opening";
        volatile boolean closedRemotely = true;
        final java.util.concurrent.atomic.AtomicBoolean closeDelivered = new java.util.concurrent.atomic.AtomicBoolean();
        /** Handler failures of this connection are logged at most once a second (created on the first). */
        volatile LogThrottle failures;

        Attachment(RequestHead head, boolean httpOnly) {
            this.head = head;
            this.httpOnly = httpOnly;
        }
    }

    /**
     * {@link Connection} over a Java-WebSocket socket, with a bounded send queue.
     *
     * <p>Writes: when nothing is queued, a frame is written to the socket directly by the calling thread
     * (non-blocking); only what the kernel does not take goes through Java-WebSocket's queue and selector.
     * That saves the selector wake-up, two epoll updates and a thread hop per message. It is safe because
     * Java-WebSocket keeps a buffer in its queue until fully written (so "queue empty" means no write in
     * progress) and every writer of this connection holds this object's monitor.
     *
     * <p>Bounds: what the kernel does not take is queued and counted exactly ({@link CountingChannel}), data
     * frames, our pings and the pongs answering the client's pings alike. Not counted: the library's own
     * close frame (one per connection, at most 127 bytes).
     */
    private final class WsConnection implements Connection {
        private final WebSocket socket;
        /** Set (under the monitor) when a frame was refused: the connection is being dropped. */
        private boolean dropping;

        WsConnection(WebSocket socket) {
            this.socket = socket;
        }

        @Override
        public void send(String text) {
            if (socket.isOpen()) {
                enqueue(frame(0x1, text.getBytes(StandardCharsets.UTF_8)));
            }
        }

        @Override
        public void send(SharedFrame prepared) {
            if (socket.isOpen()) {
                byte[] wire = prepared.wire(SERVER_TEXT_FRAME);
                enqueue(ByteBuffer.wrap(wire)); // shared bytes, own position
            }
        }

        /**
         * Writes what the kernel takes at once; queues the rest, counted against the bounds. The frame
         * count and the byte count are both checked on every enqueue (O(1) counters): a receiver that does
         * not read is dropped as soon as either is exceeded, data frames, pings and pongs alike.
         */
        private void enqueue(ByteBuffer frame) {
            long refused = write(frame);
            if (refused >= 0) {
                log.warn("Dropping {}: {} bytes to queue, it does not read fast enough", remoteAddress(), refused);
                // A close frame would queue behind data it never reads: drop the socket and its queue now.
                // Outside the monitor: the close callbacks send to other connections.
                abort(1008, "Send queue overflow (slow consumer)");
            }
        }

        /** Writes or queues the frame and returns -1, or returns the bytes it would have queued (refused). */
        private synchronized long write(ByteBuffer frame) {
            if (dropping) {
                return -1; // being aborted: nothing may follow a frame that was cut short
            }
            WebSocketImpl impl = (WebSocketImpl) socket;
            if (impl.outQueue.isEmpty()) {
                try {
                    impl.getChannel().write(frame);
                } catch (IOException e) {
                    return -1; // the socket is going away; the close callback cleans up
                }
                if (!frame.hasRemaining()) {
                    return -1;
                }
            }
            CountingChannel counter = impl.getChannel() instanceof CountingChannel c ? c : null;
            long queuedBytes = counter == null ? 0 : counter.queued.get() + frame.remaining();
            if (impl.outQueue.size() >= settings.maxQueuedFrames() || queuedBytes > settings.maxQueuedBytes()) {
                dropping = true;
                return queuedBytes;
            }
            if (counter != null) {
                counter.track(frame); // before the library's queue: the selector may write it at once
            }
            impl.outQueue.add(frame);
            try {
                impl.getWebSocketListener().onWriteDemand(impl);
            } catch (RuntimeException e) {
                // the key was cancelled concurrently: the connection is closing
            }
            return -1;
        }

        /** Answers a received ping through the counted send path (the library would queue it unbounded). */
        void pong(ByteBuffer pingPayload) {
            if (socket.isOpen()) {
                byte[] payload = new byte[pingPayload.remaining()];
                pingPayload.duplicate().get(payload);
                enqueue(frame(0xA, payload));
            }
        }

        @Override
        public synchronized void close(int code, String reason) {
            socket.close(code, reason); // under the monitor: the close frame cannot split a partly written frame
        }

        @Override
        public void abort(int code, String reason) {
            if (socket instanceof WebSocketImpl impl) {
                impl.outQueue.clear();
                if (impl.getChannel() instanceof CountingChannel c) {
                    c.clear();
                    c.lingers = false; // dropped without a close frame: nothing to protect, free the descriptor now
                }
                impl.closeConnection(code, reason);
            } else {
                socket.close(code, reason);
            }
        }

        @Override
        public boolean isOpen() {
            return socket.isOpen();
        }

        @Override
        public void sendPing() {
            if (socket.isOpen()) {
                enqueue(frame(0x9, new byte[0]));
            }
        }

        @Override
        public InetSocketAddress remoteAddress() {
            return socket.getRemoteSocketAddress();
        }
    }

    private final class Server extends WebSocketServer {
        Server(InetSocketAddress address, int workers, List<Draft> drafts) {
            super(address, workers, drafts);
        }

        /** Selector thread, just before each accept: free the reserved descriptors for it. */
        @Override
        protected boolean onConnect(SelectionKey key) {
            acceptKey = key;
            reserve.release();
            return true;
        }

        /** Every close of a socket ends here (Java-WebSocket calls it from onWebsocketClose), upgraded or not. */
        @Override
        protected boolean removeConnection(WebSocket ws) {
            boolean removed = super.removeConnection(ws);
            if (ws instanceof Tracked t) {
                release(t);
                if (!removed && ws.getAttachment() instanceof Attachment<?> any && !any.httpOnly) {
                    // Closed after the 101 went out but before Java-WebSocket listed the socket as open (a client
                    // that resets right after reading the 101): no onClose will come, and the open callback may
                    // still register the peer. Same hand-off as onClose/onOpen, so the peer never stays behind.
                    @SuppressWarnings("unchecked")
                    Attachment<S> att = (Attachment<S>) any;
                    att.socketClosed = true;
                    deliverClose(att);
                    super.removeConnection(ws); // in case the open callback listed it meanwhile
                }
            }
            return removed;
        }

        @Override
        public ServerHandshakeBuilder onWebsocketHandshakeReceivedAsServer(WebSocket conn, Draft draft,
                                                                           ClientHandshake request)
                throws InvalidDataException {
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            request.iterateHttpFields().forEachRemaining(name -> headers.put(name, request.getFieldValue(name)));
            boolean upgrade = HttpUpgradeDraft.isUpgrade(request);
            RequestHead head = new RequestHead(HttpUpgradeDraft.method(request), request.getResourceDescriptor(),
                    headers, upgrade, HttpUpgradeDraft.malformed(request), conn.getRemoteSocketAddress());
            HttpResponse response;
            try {
                response = handler.onRequest(head);
            } catch (RuntimeException e) {
                // Triggered by a client's request: one line a second without a stack trace (it is at DEBUG).
                int suppressed = requestLog.tryAcquire();
                if (suppressed >= 0) {
                    log.info("Request handler failed for {} {} from {}: {}{}", head.method(), Redaction.target(head.target()),
                            head.remote(), e.toString(), LogThrottle.suffix(suppressed));
                }
                log.debug("Request handler failure", e);
                response = HttpResponse.of(500, "Internal Server Error", "text/plain", "Internal Server Error", Map.of());
            }
            if (response == null && !upgrade) {
                response = HttpResponse.of(400, "Bad Request", "text/plain", "Bad Request", Map.of());
            }
            HandshakeImpl1Server builder = new HandshakeImpl1Server();
            if (response == null) {
                builder.setHttpStatus((short) 101);
                handler.upgradeHeaders().forEach(builder::put);
                conn.setAttachment(new Attachment<S>(head, false));
                return builder;
            }
            builder.setHttpStatus((short) response.status());
            builder.setHttpStatusMessage(response.reason());
            response.headers().forEach(builder::put);
            builder.put("Content-Length", Integer.toString(response.body().length));
            builder.put("Connection", "close");
            builder.setContent(response.body());
            conn.setAttachment(new Attachment<S>(head, true));
            return builder;
        }

        @Override
        public void onOpen(WebSocket conn, ClientHandshake handshake) {
            Attachment<S> att = conn.getAttachment();
            if (att == null || att.httpOnly) {
                // The response is queued; close once it is flushed, without a WebSocket close frame.
                ((WebSocketImpl) conn).flushAndClose(1000, "HTTP response sent", false);
                if (conn instanceof Tracked t && t.released.get()) {
                    removeConnection(conn); // it closed before Java-WebSocket listed it: don't leave it listed
                }
                return;
            }
            if (conn instanceof Tracked t) {
                pending.remove(t); // upgraded: the handshake timeout no longer applies
            }
            att.connection = new WsConnection(conn);
            try {
                att.state = handler.onOpen(att.connection, att.head);
                att.head = null; // headers are not needed after the upgrade: ~1 KB less per idle connection
            } catch (RuntimeException e) {
                log.error("Open handler failed", e);
                conn.close(1011, "Internal error");
            }
            if (att.socketClosed) {
                deliverClose(att); // the socket closed while the handler was registering it
                removeConnection(conn); // it may have closed before Java-WebSocket listed it
            }
        }

        private void deliverClose(Attachment<S> att) {
            if (att.state != null && att.closeDelivered.compareAndSet(false, true)) {
                try {
                    handler.onClose(att.state, att.closeCode, att.closeReason, att.closedRemotely);
                } catch (RuntimeException e) {
                    log.error("Close handler failed", e);
                }
            }
        }

        @Override
        public void onMessage(WebSocket conn, String message) {
            Attachment<S> att = conn.getAttachment();
            if (att == null || att.state == null) {
                return;
            }
            try {
                handler.onMessage(att.state, message);
            } catch (RuntimeException e) {
                // Caused by what this client sent: at most one line per connection per second, no stack trace
                // (that is at DEBUG), the rest counted.
                LogThrottle throttle = att.failures;
                if (throttle == null) {
                    throttle = LogThrottle.perSecond();
                    att.failures = throttle;
                }
                int suppressed = throttle.tryAcquire();
                if (suppressed >= 0) {
                    log.info("Frame from {} could not be handled: {}{}", conn.getRemoteSocketAddress(), e.toString(),
                            LogThrottle.suffix(suppressed));
                }
                log.debug("Frame handler failure", e);
            }
        }

        @Override
        public void onMessage(WebSocket conn, ByteBuffer message) {
            Attachment<S> att = conn.getAttachment();
            if (att == null || att.state == null) {
                return;
            }
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(message).toString();
            } catch (CharacterCodingException e) {
                handler.onUndecodable(att.state, "Binary frame is not valid UTF-8");
                return;
            }
            onMessage(conn, text);
        }

        @Override
        public void onWebsocketPing(WebSocket conn, Framedata f) {
            Attachment<S> att = conn.getAttachment();
            if (att == null || att.state == null || att.connection == null) {
                return;
            }
            // Counted against the message rate; answered through the bounded send path, never the library's.
            if (handler.onPing(att.state)) {
                ((WsConnection) att.connection).pong(f.getPayloadData()); // att.connection is always ours
            }
        }

        @Override
        public void onWebsocketPong(WebSocket conn, Framedata f) {
            Attachment<S> att = conn.getAttachment();
            if (att != null && att.state != null) {
                handler.onPong(att.state);
            }
        }

        @Override
        public void onClose(WebSocket conn, int code, String reason, boolean remote) {
            Attachment<S> att = conn.getAttachment();
            if (att == null) {
                return;
            }
            att.closeCode = code;
            att.closeReason = reason;
            att.closedRemotely = remote;
            att.socketClosed = true; // published after the details; read by onOpen if it is still running
            deliverClose(att);
        }

        @Override
        public void onError(WebSocket conn, Exception ex) {
            if (conn == null && started.getCount() > 0) {
                if (startError.compareAndSet(null, ex)) {
                    started.countDown();
                }
                return;
            }
            // After the start, a server-wide error means Java-WebSocket is shutting its server down; an Error
            // wrapped by a worker means that worker died (its connections would never be read again).
            if (conn == null || ex.getCause() instanceof Error) {
                failed(ex.getCause() instanceof Error err ? err : ex);
                return;
            }
            // Per-connection errors (oversize frame, bad UTF-8, I/O) are followed by onClose; log quietly.
            log.debug("Connection {} error: {}", conn.getRemoteSocketAddress(), ex.toString());
        }

        @Override
        public void onStart() {
            Thread selector = Thread.currentThread();
            selectorThread = selector;
            // An Error on the selector thread ends its loop without any callback: report it from here.
            Thread.UncaughtExceptionHandler previous = selector.getUncaughtExceptionHandler();
            selector.setUncaughtExceptionHandler((t, e) -> {
                failed(e);
                if (previous != null) {
                    previous.uncaughtException(t, e);
                }
            });
            running = true;
            started.countDown();
        }
    }

    /**
     * The socket as Java-WebSocket sees it: it counts the bytes of our queued frames until they really
     * leave. Every write to the socket passes here, the selector thread's writes from the library's queue
     * and our direct writes alike; only buffers we queued ourselves ({@link #track}) are counted, so the
     * library's own bounded writes (the 101 response, one close frame) never skew the count.
     *
     * <p>Threads: {@link #track} is called by senders holding the connection's monitor, {@link #write} by
     * the selector thread or a sender; the FIFO and the counter are concurrent. Our buffers enter the
     * FIFO in the order they enter the library's FIFO queue, so the oldest tracked buffer is the next of
     * ours the selector writes.
     */
    static final class CountingChannel implements java.nio.channels.ByteChannel {
        private final java.nio.channels.SocketChannel channel;
        /** Asked on close whether the socket lingers instead (true: it took the channel over). */
        private final java.util.function.Predicate<CountingChannel> linger;
        /** Cleared when the socket is dropped or timed out: then it is closed at once. */
        volatile boolean lingers = true;
        /** While lingering: System.nanoTime() after which it is closed. */
        volatile long lingerUntil;
        private final java.util.concurrent.ConcurrentLinkedQueue<ByteBuffer> tracked =
                new java.util.concurrent.ConcurrentLinkedQueue<>();
        /** Bytes of tracked buffers not yet written. */
        final java.util.concurrent.atomic.AtomicLong queued = new java.util.concurrent.atomic.AtomicLong();

        CountingChannel(java.nio.channels.SocketChannel channel, java.util.function.Predicate<CountingChannel> linger) {
            this.channel = channel;
            this.linger = linger;
        }

        void track(ByteBuffer frame) {
            queued.addAndGet(frame.remaining());
            tracked.add(frame);
        }

        void clear() {
            tracked.clear();
            queued.set(0);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = channel.write(src);
            if (tracked.peek() == src) {
                queued.addAndGet(-n);
                if (!src.hasRemaining()) {
                    tracked.poll();
                }
            }
            return n;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return channel.read(dst);
        }

        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public void close() throws IOException {
            if (!linger.test(this)) {
                channel.close();
            }
        }
    }

    /** An unmasked server frame. */
    /** Encodes a shared frame once: the complete unmasked text frame, header and payload; never modified. */
    private static final java.util.function.Function<String, byte[]> SERVER_TEXT_FRAME =
            text -> frame(0x1, text.getBytes(StandardCharsets.UTF_8)).array();

    static ByteBuffer frame(int opcode, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(headerLength(payload.length, false) + payload.length);
        putHeader(b, 0x80 | opcode, payload.length, false);
        b.put(payload);
        b.flip();
        return b;
    }

    /** Bytes of a frame header for this payload length (with the 4-byte mask key when masked). */
    static int headerLength(int len, boolean masked) {
        return (len < 126 ? 2 : len < 65536 ? 4 : 10) + (masked ? 4 : 0);
    }

    /** Writes the first byte, the mask bit and the payload length (not the mask key). */
    static void putHeader(ByteBuffer b, int firstByte, int len, boolean masked) {
        int maskBit = masked ? 0x80 : 0;
        b.put((byte) firstByte);
        if (len < 126) {
            b.put((byte) (maskBit | len));
        } else if (len < 65536) {
            b.put((byte) (maskBit | 126));
            b.putShort((short) len);
        } else {
            b.put((byte) (maskBit | 127));
            b.putLong(len);
        }
    }
}

package dev.peerpigeon.transport;

import dev.peerpigeon.protocol.TextFrame;
import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.support.Meters;
import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.http.HttpResponse;

import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;
import org.java_websocket.server.WebSocketServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.ServerSocketChannel;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The WebSocket + HTTP server socket, built on Java-WebSocket. Everything Java-WebSocket specific stays in this
 * package; the layers above see {@link Connection}, {@link RequestHead}, {@link HttpResponse} and {@link TextFrame}.
 *
 * <p>Threads: one selector thread accepts, reads, writes, and decodes and handles the frames of open connections
 * ({@link SelectorDecoding}); {@code workers} threads answer request heads and run upgrades (and return the
 * library's read buffers). All frames of one connection are delivered in order, one at a time: on its worker until
 * it is open and the worker is done with it, then on the selector. Close callbacks may come from either. One "transport" thread of our own runs the handshake-timeout sweep, the linger poll, the
 * accept resume after running out of file descriptors, and the failure report. Single use: start once,
 * stop once.
 *
 * <p>What Java-WebSocket does not do, this transport adds: every accepted socket is tracked until it closes
 * ({@link TransportHandler#onAccepted}/{@link TransportHandler#onDisconnected}, exactly once each;
 * {@link TrackingSocketFactory}) and closed when its request head is not complete within the handshake timeout
 * ({@link HandshakeSweeper}); running out of file descriptors pauses accepting instead of closing the listening
 * socket ({@link AcceptGuard}); a transport that dies on its own (fatal error, dead selector or worker thread) is
 * reported once through {@link TransportHandler#onTransportFailure} (this class); closed sockets linger
 * ({@link LingeringCloser}) so that the close frame or HTTP answer we sent is not destroyed by a TCP reset while
 * the peer is still sending; and sends are bounded and counted exactly ({@link WsConnection},
 * {@link CountingChannel}). This class is the Java-WebSocket server adapter and the lifecycle; its own fields
 * are written by the starting thread, the selector thread ({@code onStart}) and {@code stop}, all volatile.
 *
 * @param <S> the handler's per-connection state
 */
public final class WebSocketTransport<S> {
    private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);

    /** Options of the server socket. */
    public record Settings(String host, int port, int maxFrameSize, int workers, int maxQueuedFrames, int maxQueuedBytes,
                           long handshakeTimeoutMillis, javax.net.ssl.SSLContext tls) {
        public Settings(String host, int port, int maxFrameSize, int workers, int maxQueuedFrames, int maxQueuedBytes,
                        long handshakeTimeoutMillis) {
            this(host, port, maxFrameSize, workers, maxQueuedFrames, maxQueuedBytes, handshakeTimeoutMillis, null);
        }
    }

    /** TLS delegated tasks (certificate checks, key exchange): a bounded pool, not the library's single thread. */
    private final java.util.concurrent.ThreadPoolExecutor tlsTasks;

    private final Settings settings;
    private final TransportHandler<S> handler;
    private final Server server;
    private final CountDownLatch started = new CountDownLatch(1);
    private final AtomicReference<Exception> startError = new AtomicReference<>();
    private final ScheduledExecutorService timer;
    private final RequestAnswerer<S> answerer;
    private final AtomicBoolean failed = new AtomicBoolean();
    private volatile boolean stopping;
    private volatile boolean running;
    private volatile Thread selectorThread;
    private final LingeringCloser lingering;
    private final AcceptGuard acceptGuard;
    private final HandshakeSweeper handshakes;
    /** Upgrade requests held at once at most (see {@link HeldUpgrades}); more are decided at once. */
    static final int MAX_HELD_UPGRADES = 64;
    private final HeldUpgrades holds;
    /** Open connections' frames on the selector thread; the library's workers for the rest. */
    private final SelectorDecoding decoding;
    /** Set before {@link #start} by the starting thread; read by worker threads. */
    private volatile Meters meters = Meters.NONE;

    public WebSocketTransport(Settings settings, TransportHandler<S> handler) {
        this.settings = settings;
        this.handler = handler;
        this.answerer = new RequestAnswerer<>(handler);
        this.server = new Server(new InetSocketAddress(settings.host(), settings.port()), settings.workers(),
                List.of(new ServerDraft(settings.maxFrameSize())));
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "peerpigeon-transport-" + settings.port());
            t.setDaemon(true);
            return t;
        });
        this.lingering = new LingeringCloser(timer, () -> stopping);
        this.acceptGuard = new AcceptGuard(timer, () -> stopping, lingering::count);
        this.handshakes = new HandshakeSweeper(settings.handshakeTimeoutMillis(), this::release);
        this.tlsTasks = settings.tls() == null ? null : TlsChannel.delegatedTaskPool(settings.port());
        this.holds = new HeldUpgrades(MAX_HELD_UPGRADES, handler::holdUpgrade, server);
        this.decoding = new SelectorDecoding(server::toWorker, settings.workers(), server, server.getDraft());
        server.setWebSocketFactory(new TrackingSocketFactory(acceptGuard, handshakes, lingering, handler::onAccepted,
                settings.tls(), tlsTasks, holds));
        server.setReuseAddr(true);
        // The JDK's default accept backlog is 50: a crowd joining at once then loses SYNs and waits for
        // TCP's 1 s / 3 s / 7 s retransmits. The kernel caps this at net.core.somaxconn.
        server.setMaxPendingConnections(4096);
        server.setTcpNoDelay(true);
        server.setConnectionLostTimeout(0); // liveness is ours (pings + peerTimeout), see the signaling layer
        server.setDaemon(true);
    }

    /** Where the transport counts its drops of slow consumers ({@code /metrics}). Before {@link #start}. */
    public void meters(Meters m) {
        this.meters = m;
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
        acceptGuard.started();
        long sweep = handshakes.periodMillis();
        timer.scheduleWithFixedDelay(this::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
    }

    /**
     * Timer thread: closes sockets whose request head (or HTTP answer) did not complete in time, and notices a
     * transport that died without telling (selector thread gone, listening socket closed). O(pending sockets).
     */
    private void sweep() {
        try {
            handshakes.sweep();
            Thread selector = selectorThread;
            SelectionKey key = acceptGuard.acceptKey();
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
        if (t.counted && t.release()) {
            acceptGuard.socketReleased();
            handshakes.remove(t);
            handler.onDisconnected(t.remote);
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
        if (tlsTasks != null) {
            tlsTasks.shutdownNow();
        }
        for (WebSocket ws : server.getConnections()) {
            if (ws instanceof WebSocketImpl impl) {
                LingeringCloser.closeAtOnce(impl);
                impl.closeConnection(1001, "Server shutting down");
            }
        }
        handshakes.closeAll();
        lingering.closeLingering();
        acceptGuard.release();
    }

    private final class Server extends WebSocketServer implements HeldUpgrades.Requeue, FrameDecoder.TextListener {
        Server(InetSocketAddress address, int workers, List<Draft> drafts) {
            super(address, workers, drafts);
        }

        /** Any thread: {@code marker} goes to {@code t}'s worker after what it has queued (a held upgrade resumes). */
        @Override
        public void decodeLater(Tracked t, ByteBuffer marker) {
            try {
                t.inQueue.put(marker);
                queue(t);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Each read of a socket (selector thread) and each resumed upgrade (any thread): see SelectorDecoding. */
        @Override
        protected void queue(WebSocketImpl ws) throws InterruptedException {
            decoding.queue(ws);
        }

        void toWorker(WebSocketImpl ws) throws InterruptedException {
            super.queue(ws);
        }

        @Override
        protected void allocateBuffers(WebSocket c) throws InterruptedException {
            super.allocateBuffers(c);
            decoding.bufferAllocated();
        }

        /** Selector thread, just before each accept: free the reserved descriptors for it. */
        @Override
        protected boolean onConnect(SelectionKey key) {
            acceptGuard.beforeAccept(key);
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
                                                                           ClientHandshake request) {
            return answerer.answer(conn, request);
        }

        @Override
        public void onOpen(WebSocket conn, ClientHandshake handshake) {
            Attachment<S> att = conn.getAttachment();
            if (att == null || att.httpOnly) {
                // The response is queued; close once it is flushed, without a WebSocket close frame.
                ((WebSocketImpl) conn).flushAndClose(1000, "HTTP response sent", false);
                if (conn instanceof Tracked t && t.released()) {
                    removeConnection(conn); // it closed before Java-WebSocket listed it: don't leave it listed
                }
                return;
            }
            if (conn instanceof Tracked t) {
                handshakes.remove(t); // upgraded: the handshake timeout no longer applies
            }
            att.connection = new WsConnection(conn, settings.maxQueuedFrames(), settings.maxQueuedBytes(), meters,
                    decoding);
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
            if (att.state != null && att.claimCloseDelivery()) {
                try {
                    handler.onClose(att.state, att.closeCode, att.closeReason, att.closedRemotely);
                } catch (RuntimeException e) {
                    log.error("Close handler failed", e);
                }
            }
        }

        @Override
        public void onMessage(WebSocket conn, String message) { // not from our drafts, which deliver TextFrames
            onText(conn, TextFrame.of(message));
        }

        @Override
        public void onText(WebSocket conn, TextFrame text) {
            Attachment<S> att = conn.getAttachment();
            if (att == null || att.state == null) {
                return;
            }
            try {
                handler.onMessage(att.state, text);
            } catch (RuntimeException e) {
                att.handlerFailed(conn.getRemoteSocketAddress(), e);
            }
        }

        @Override
        public void onMessage(WebSocket conn, ByteBuffer message) {
            TextFrame text = FrameDecoder.text(message);
            if (text == null) {
                Attachment<S> att = conn.getAttachment();
                if (att != null && att.state != null) {
                    handler.onUndecodable(att.state, "Binary frame is not valid UTF-8");
                }
                return;
            }
            onText(conn, text);
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
            decoding.selectorStarted();
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

}

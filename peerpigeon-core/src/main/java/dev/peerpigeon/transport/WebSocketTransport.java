package dev.peerpigeon.transport;

import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
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
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The WebSocket + HTTP server socket, built on Java-WebSocket. Everything Java-WebSocket specific
 * stays in this package; the layers above see {@link Connection}, {@link RequestHead} and
 * {@link HttpResponse}.
 *
 * <p>Threads: one selector thread accepts and writes; {@code workers} decoder threads parse frames.
 * All frames of one connection are delivered in order on the same worker. Close callbacks may come
 * from the selector thread. Single use: start once, stop once.
 *
 * @param <S> the handler's per-connection state
 */
public final class WebSocketTransport<S> {
    private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);

    /** Options of the server socket. */
    public record Settings(String host, int port, int maxFrameSize, int workers, int maxQueuedFrames, int maxQueuedBytes) {
    }

    private final Settings settings;
    private final TransportHandler<S> handler;
    private final Server server;
    private final CountDownLatch started = new CountDownLatch(1);
    private final AtomicReference<Exception> startError = new AtomicReference<>();

    public WebSocketTransport(Settings settings, TransportHandler<S> handler) {
        this.settings = settings;
        this.handler = handler;
        this.server = new Server(new InetSocketAddress(settings.host(), settings.port()), settings.workers(),
                List.of(new HttpUpgradeDraft(settings.maxFrameSize())));
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
    }

    /** The bound port (the real one after binding port 0). */
    public int port() {
        return server.getPort();
    }

    /** Closes the listening socket and any connection still open, waiting at most {@code timeoutMillis}. */
    public void stop(int timeoutMillis) {
        try {
            server.stop(Math.max(1, timeoutMillis), "Server shutting down");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
     */
    private final class WsConnection implements Connection {
        private final WebSocket socket;

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
        public void send(PreparedFrame prepared) {
            if (socket.isOpen()) {
                enqueue(ByteBuffer.wrap(prepared.serverFrame())); // shared bytes, own position
            }
        }

        private void enqueue(ByteBuffer frame) {
            WebSocketImpl impl = (WebSocketImpl) socket;
            if (overflowing(impl)) {
                log.warn("Dropping {}: {} frames queued, it does not read fast enough", remoteAddress(),
                        impl.outQueue.size());
                // A close frame would queue behind data it never reads: drop the socket and its queue now.
                abort(1008, "Send queue overflow (slow consumer)");
                return;
            }
            write(impl, frame);
        }

        private synchronized void write(WebSocketImpl impl, ByteBuffer frame) {
            if (impl.outQueue.isEmpty()) {
                try {
                    impl.getChannel().write(frame);
                } catch (IOException e) {
                    return; // the socket is going away; the close callback cleans up
                }
                if (!frame.hasRemaining()) {
                    return;
                }
            }
            impl.outQueue.add(frame);
            try {
                impl.getWebSocketListener().onWriteDemand(impl);
            } catch (RuntimeException e) {
                // the key was cancelled concurrently: the connection is closing
            }
        }
        /** Frame count is checked on every send (O(1)); bytes only every 32nd frame past 64 (O(queue)). */
        private boolean overflowing(WebSocketImpl impl) {
            int frames = impl.outQueue.size();
            if (frames > settings.maxQueuedFrames()) {
                return true;
            }
            if (frames > 64 && (frames & 31) == 0) {
                long bytes = 0;
                for (ByteBuffer b : impl.outQueue) {
                    bytes += b.remaining();
                }
                return bytes > settings.maxQueuedBytes();
            }
            return false;
        }

        @Override
        public synchronized void close(int code, String reason) {
            socket.close(code, reason); // under the monitor: the close frame cannot split a partly written frame
        }

        @Override
        public void abort(int code, String reason) {
            if (socket instanceof WebSocketImpl impl) {
                impl.outQueue.clear();
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
                write((WebSocketImpl) socket, frame(0x9, new byte[0]));
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
                log.error("Request handler failed for {} {}", head.method(), Redaction.target(head.target()), e);
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
                return;
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
                log.error("Message handler failed", e);
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
            if (conn == null) {
                if (startError.compareAndSet(null, ex) && started.getCount() > 0) {
                    started.countDown();
                } else {
                    log.error("WebSocket server error", ex);
                }
                return;
            }
            // Per-connection errors (oversize frame, bad UTF-8, I/O) are followed by onClose; log quietly.
            log.debug("Connection {} error: {}", conn.getRemoteSocketAddress(), ex.toString());
        }

        @Override
        public void onStart() {
            started.countDown();
        }
    }

    /** An unmasked server frame. */
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

package dev.peerpigeon.transport;

import dev.peerpigeon.federation.HubConnector;
import dev.peerpigeon.protocol.TextFrame;
import dev.peerpigeon.support.Redaction;

import org.java_websocket.client.WebSocketClient;
import org.java_websocket.exceptions.WebsocketNotConnectedException;
import org.java_websocket.handshake.ServerHandshake;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;

/**
 * An outbound WebSocket (a hub dialing another hub), built on Java-WebSocket's client. Connects
 * asynchronously; the listener learns the outcome. Liveness by WebSocket ping.
 *
 * <p>Threads: the listener is called on this link's own reader thread, in order.
 */
public final class OutboundLink implements HubConnector.Attempt {
    /** Java-WebSocket's close reason for an upgrade answered with another status than 101. */
    private static final java.util.regex.Pattern REFUSED =
            java.util.regex.Pattern.compile("Invalid status code received: (\\d{3})");

    private static final Logger log = LoggerFactory.getLogger(OutboundLink.class);

    private final Client client;
    private final HubConnector.Listener listener;
    private final int maxQueuedFrames;

    private OutboundLink(URI uri, Map<String, String> headers, int maxFrameSize, int pingSeconds, int maxQueuedFrames,
                         HubConnector.Listener listener, javax.net.ssl.SSLContext trust) {
        this.listener = listener;
        this.maxQueuedFrames = maxQueuedFrames;
        this.client = new Client(uri, maxFrameSize);
        headers.forEach(client::addHeader);
        if (trust != null && "wss".equalsIgnoreCase(uri.getScheme())) {
            client.setSocketFactory(trust.getSocketFactory()); // else the library uses the JVM's default context
        } else if ("ws".equalsIgnoreCase(uri.getScheme())) {
            client.setSocketFactory(new CoalescingSockets(client)); // only plain TCP: for wss the library layers TLS
        }
        client.setConnectionLostTimeout(pingSeconds);
        client.setTcpNoDelay(true);
    }

    /** Starts dialing {@code uri}, with these extra upgrade request {@code headers}; returns at once. */
    public static OutboundLink dial(URI uri, Map<String, String> headers, int maxFrameSize, int pingSeconds,
                                    int maxQueuedFrames, HubConnector.Listener listener) {
        return dial(uri, headers, maxFrameSize, pingSeconds, maxQueuedFrames, listener, null);
    }

    /** As above; wss:// dials trust {@code trust} (null: the JVM defaults). */
    public static OutboundLink dial(URI uri, Map<String, String> headers, int maxFrameSize, int pingSeconds,
                                    int maxQueuedFrames, HubConnector.Listener listener, javax.net.ssl.SSLContext trust) {
        OutboundLink link = new OutboundLink(uri, headers, maxFrameSize, pingSeconds, maxQueuedFrames, listener, trust);
        link.client.connect();
        return link;
    }

    public URI uri() {
        return client.getURI();
    }

    @Override
    public void send(String text) {
        if (admits()) {
            try {
                client.send(text);
            } catch (WebsocketNotConnectedException ignored) {
                // closed concurrently
            }
        }
    }

    /** The frame's bytes as they are, masked into the library's frame (no String, no re-encoding). */
    @Override
    public void sendUtf8(byte[] headroomAndPayload) {
        if (admits()) {
            org.java_websocket.framing.TextFrame frame = new org.java_websocket.framing.TextFrame();
            int at = dev.peerpigeon.protocol.MessageCodec.FRAME_HEADROOM;
            frame.setPayload(ByteBuffer.wrap(headroomAndPayload, at, headroomAndPayload.length - at));
            frame.setTransferemasked(true); // through our draft's fast path for masked text frames
            try {
                client.sendFrame(frame);
            } catch (WebsocketNotConnectedException ignored) {
                // closed concurrently
            }
        }
    }

    /** Open, and the remote hub reads: a link whose queue overflows is closed instead. */
    private boolean admits() {
        if (!client.isOpen()) {
            return false;
        }
        if (client.getConnection() instanceof org.java_websocket.WebSocketImpl impl && impl.outQueue.size() > maxQueuedFrames) {
            log.warn("Closing hub link {}: {} frames queued, the remote hub does not read", Redaction.toString(uri()),
                    impl.outQueue.size());
            close(1008, "Send queue overflow (slow consumer)");
            return false;
        }
        return true;
    }

    @Override
    public void close(int code, String reason) {
        client.close(code, reason);
    }

    /** Drops the TCP connection at once, without a close handshake (faults). */
    @Override
    public void abort(int code, String reason) {
        abort();
    }

    /** Drops the TCP connection at once (used for faults and when a start never completes). */
    public void abort() {
        if (client.getConnection() != null) {
            client.getConnection().closeConnection(1006, "aborted");
        }
    }

    /**
     * Gives up a dial whose TCP connect or upgrade has not completed: the listener's onClose follows (1006 with
     * {@code reason}) and the socket is closed, which also ends the blocked reader thread.
     */
    @Override
    public void abortHandshake(String reason) {
        if (client.isOpen()) {
            return;
        }
        client.closeConnection(1006, reason);
        java.net.Socket socket = client.getSocket();
        if (socket != null) {
            try {
                socket.close();
            } catch (java.io.IOException ignored) {
                // closing anyway
            }
        }
    }

    @Override
    public boolean isOpen() {
        return client.isOpen();
    }

    @Override
    public void sendPing() {
        try {
            if (client.isOpen()) {
                client.sendPing();
            }
        } catch (WebsocketNotConnectedException ignored) {
            // closed concurrently
        }
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return client.getRemoteSocketAddress();
    }

    /** The HTTP status of a refused upgrade, read from the client library's close reason; 0 when none. */
    static int refusedStatus(String reason) {
        java.util.regex.Matcher m = reason == null ? null : REFUSED.matcher(reason);
        return m != null && m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** Unconnected {@link CoalescingSocket}s, the only kind the client asks for; they flush when its queue is empty. */
    private static final class CoalescingSockets extends javax.net.SocketFactory {
        private final WebSocketClient client;

        CoalescingSockets(WebSocketClient client) {
            this.client = client;
        }

        @Override
        public java.net.Socket createSocket() {
            return new CoalescingSocket(() -> client.getConnection() instanceof org.java_websocket.WebSocketImpl impl
                    && impl.outQueue.isEmpty());
        }

        @Override
        public java.net.Socket createSocket(String host, int port) throws java.io.IOException {
            throw new java.net.SocketException("only unconnected sockets");
        }

        @Override
        public java.net.Socket createSocket(String host, int port, java.net.InetAddress local, int localPort)
                throws java.io.IOException {
            throw new java.net.SocketException("only unconnected sockets");
        }

        @Override
        public java.net.Socket createSocket(java.net.InetAddress host, int port) throws java.io.IOException {
            throw new java.net.SocketException("only unconnected sockets");
        }

        @Override
        public java.net.Socket createSocket(java.net.InetAddress address, int port, java.net.InetAddress local,
                                            int localPort) throws java.io.IOException {
            throw new java.net.SocketException("only unconnected sockets");
        }
    }

    private final class Client extends WebSocketClient implements FrameDecoder.TextListener {
        Client(URI uri, int maxFrameSize) {
            super(uri, new ClientDraft(maxFrameSize));
        }

        @Override
        public void onOpen(ServerHandshake handshake) {
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            handshake.iterateHttpFields().forEachRemaining(n -> headers.put(n, handshake.getFieldValue(n)));
            listener.onOpen(OutboundLink.this, headers);
        }

        @Override
        public void onMessage(String message) { // not from ClientDraft, which delivers TextFrames
            listener.onMessage(TextFrame.of(message));
        }

        @Override
        public void onText(org.java_websocket.WebSocket ws, TextFrame text) {
            listener.onMessage(text);
        }

        @Override
        public void onMessage(ByteBuffer bytes) {
            TextFrame text = FrameDecoder.text(bytes);
            if (text == null) { // dropped like any unparseable frame of a link (the server side answers an error)
                log.debug("Hub link {}: binary frame that is not valid UTF-8 dropped", Redaction.toString(getURI()));
                return;
            }
            listener.onMessage(text);
        }

        @Override
        public void onClose(int code, String reason, boolean remote) {
            ReadBatch.readDone(); // a read whose decode ended the link: its sends first (a no-op on other threads)
            listener.onClose(code, reason, refusedStatus(reason));
        }

        @Override
        public void onError(Exception ex) {
            log.debug("Hub link {} error: {}", Redaction.toString(getURI()), ex.toString());
        }
    }
}

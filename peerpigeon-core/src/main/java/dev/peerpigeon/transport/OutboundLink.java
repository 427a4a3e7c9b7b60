package dev.peerpigeon.transport;

import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.support.Redaction;

import org.java_websocket.client.WebSocketClient;
import org.java_websocket.exceptions.WebsocketNotConnectedException;
import org.java_websocket.handshake.ServerHandshake;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * An outbound WebSocket (a hub dialing another hub), built on Java-WebSocket's client. Connects
 * asynchronously; the listener learns the outcome. Liveness by WebSocket ping.
 *
 * <p>Threads: the listener is called on this link's own reader thread, in order.
 */
public final class OutboundLink implements Connection {
    private static final Logger log = LoggerFactory.getLogger(OutboundLink.class);

    /** Callbacks of one dial attempt. */
    public interface Listener {
        /** The upgrade succeeded; {@code headers} are the 101 response's header fields (case-insensitive). */
        void onOpen(OutboundLink link, Map<String, String> headers);

        void onMessage(OutboundLink link, String text);

        /** The attempt failed or the link closed. Called exactly once per dial. */
        void onClose(OutboundLink link, int code, String reason, boolean remote);
    }

    private final Client client;
    private final Listener listener;
    private final int maxQueuedFrames;

    private OutboundLink(URI uri, Map<String, String> headers, int maxFrameSize, int pingSeconds, int maxQueuedFrames,
                         Listener listener) {
        this.listener = listener;
        this.maxQueuedFrames = maxQueuedFrames;
        this.client = new Client(uri, maxFrameSize);
        headers.forEach(client::addHeader);
        client.setConnectionLostTimeout(pingSeconds);
        client.setTcpNoDelay(true);
    }

    /** Starts dialing {@code uri}, with these extra upgrade request {@code headers}; returns at once. */
    public static OutboundLink dial(URI uri, Map<String, String> headers, int maxFrameSize, int pingSeconds,
                                    int maxQueuedFrames, Listener listener) {
        OutboundLink link = new OutboundLink(uri, headers, maxFrameSize, pingSeconds, maxQueuedFrames, listener);
        link.client.connect();
        return link;
    }

    public URI uri() {
        return client.getURI();
    }

    @Override
    public void send(String text) {
        if (!client.isOpen()) {
            return;
        }
        if (client.getConnection() instanceof org.java_websocket.WebSocketImpl impl && impl.outQueue.size() > maxQueuedFrames) {
            log.warn("Closing hub link {}: {} frames queued, the remote hub does not read", Redaction.toString(uri()),
                    impl.outQueue.size());
            close(1008, "Send queue overflow (slow consumer)");
            return;
        }
        try {
            client.send(text);
        } catch (WebsocketNotConnectedException ignored) {
            // closed concurrently
        }
    }

    @Override
    public void close(int code, String reason) {
        client.close(code, reason);
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

    private final class Client extends WebSocketClient {
        Client(URI uri, int maxFrameSize) {
            super(uri, new HttpUpgradeDraft(maxFrameSize)); // its fast frame coding, client side
        }

        @Override
        public void onOpen(ServerHandshake handshake) {
            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            handshake.iterateHttpFields().forEachRemaining(n -> headers.put(n, handshake.getFieldValue(n)));
            listener.onOpen(OutboundLink.this, headers);
        }

        @Override
        public void onMessage(String message) {
            listener.onMessage(OutboundLink.this, message);
        }

        @Override
        public void onMessage(ByteBuffer bytes) {
            listener.onMessage(OutboundLink.this, StandardCharsets.UTF_8.decode(bytes).toString());
        }

        @Override
        public void onClose(int code, String reason, boolean remote) {
            listener.onClose(OutboundLink.this, code, reason, remote);
        }

        @Override
        public void onError(Exception ex) {
            log.debug("Hub link {} error: {}", Redaction.toString(getURI()), ex.toString());
        }
    }
}

package dev.peerpigeon.transport;

import dev.peerpigeon.protocol.TextFrame;
import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.http.HttpResponse;

/**
 * What the transport asks of the layers above. Methods for one connection are called in order
 * (open, messages, close) on transport threads; calls for different connections run concurrently.
 *
 * @param <S> per-connection state returned by {@link #onOpen}
 */
public interface TransportHandler<S> {

    /**
     * A TCP connection was accepted, before any byte is read (selector thread: keep it O(1)). Return false
     * to close it at once. Every connection accepted with true gets exactly one {@link #onDisconnected}.
     */
    default boolean onAccepted(java.net.InetSocketAddress remote) {
        return true;
    }

    /** A connection accepted by {@link #onAccepted} closed, whatever the path (before or after the upgrade). */
    default void onDisconnected(java.net.InetSocketAddress remote) {
    }

    /**
     * The transport stopped on its own (a fatal error, a dead selector or worker thread), not through
     * {@code stop()}: it serves nothing any more. Called at most once, on a transport-owned thread.
     */
    default void onTransportFailure(Throwable cause) {
    }

    /**
     * Decides what to do with a request before any upgrade: return a response to answer it over plain
     * HTTP (endpoints, refusals), or null to accept the WebSocket upgrade.
     */
    HttpResponse onRequest(RequestHead head);

    /**
     * A complete upgrade request arrived (worker thread, before {@link #onRequest}; must not block): a stage to hold
     * it until the stage completes, after which {@link #onRequest} decides as usual; or null to decide now. The
     * transport holds a bounded number of requests without blocking a thread ({@link HeldUpgrades}).
     */
    default java.util.concurrent.CompletionStage<?> holdUpgrade(RequestHead head) {
        return null;
    }

    /** Extra headers of every 101 response (e.g. the hub's identity for dialing hubs). */
    default java.util.Map<String, String> upgradeHeaders() {
        return java.util.Map.of();
    }

    /** An accepted upgrade completed. Returns the state for later calls, or null to ignore the connection. */
    S onOpen(Connection connection, RequestHead head);

    /** A whole text message, valid only during the call: its bytes are the transport's read buffer ({@link TextFrame}). */
    void onMessage(S state, TextFrame text);

    /** A frame whose payload was not valid UTF-8 (binary frames are decoded by the transport). */
    void onUndecodable(S state, String reason);

    /** Any pong or frame counts as liveness. */
    void onPong(S state);

    /**
     * A ping arrived (liveness, and counted like a message against the sender's rate). Returns true to
     * answer it with a pong, false to drop it (rate limited).
     */
    default boolean onPing(S state) {
        onPong(state);
        return true;
    }

    void onClose(S state, int code, String reason, boolean remote);
}

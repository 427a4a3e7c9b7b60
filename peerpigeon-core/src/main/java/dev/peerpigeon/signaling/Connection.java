package dev.peerpigeon.signaling;

import java.net.InetSocketAddress;

/**
 * The signaling core's view of one client socket. Implemented by the transport layer over a real
 * WebSocket and by in-memory fakes in tests. All methods are thread-safe and never block.
 */
public interface Connection {
    /** Queues a text frame. Silently ignored when the connection is no longer open. */
    void send(String text);

    /**
     * Queues a text frame whose UTF-8 payload fills {@code headroomAndPayload} after its first
     * {@link dev.peerpigeon.protocol.MessageCodec#FRAME_HEADROOM} bytes (as {@code relayUtf8} builds it). The transport
     * may write the frame header into that headroom: the array is handed over and must not be used again.
     */
    default void sendUtf8(byte[] headroomAndPayload) {
        int at = dev.peerpigeon.protocol.MessageCodec.FRAME_HEADROOM;
        send(new String(headroomAndPayload, at, headroomAndPayload.length - at, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Queues a frame prepared once for many receivers. */
    default void send(SharedFrame frame) {
        send(frame.text());
    }

    /** Starts a close handshake with this code and reason. Idempotent. */
    void close(int code, String reason);

    boolean isOpen();

    /** Drops the TCP connection at once, without a close handshake, and discards queued frames. */
    default void abort(int code, String reason) {
        close(code, reason);
    }

    /** Sends a WebSocket ping; the pong counts as activity. */
    void sendPing();

    /** Bytes queued to send and not yet taken by the kernel (for the send-queue gauge). */
    default long queuedBytes() {
        return 0;
    }

    /** Remote address, or null when unknown. */
    InetSocketAddress remoteAddress();
}

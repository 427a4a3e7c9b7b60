package dev.peerpigeon.transport;

import java.nio.charset.StandardCharsets;

/**
 * A text frame encoded once and sent to many connections (discovery fan-out): the UTF-8 encoding and
 * the frame header are built a single time; each send only wraps the shared, read-only bytes.
 * Immutable and thread-safe.
 */
public final class PreparedFrame {
    private final String text;
    private final byte[] serverFrame;

    private PreparedFrame(String text) {
        this.text = text;
        this.serverFrame = WebSocketTransport.frame(0x1, text.getBytes(StandardCharsets.UTF_8)).array();
    }

    public static PreparedFrame of(String text) {
        return new PreparedFrame(text);
    }

    public String text() {
        return text;
    }

    /** The complete unmasked frame (header and payload); never modify. */
    byte[] serverFrame() {
        return serverFrame;
    }
}

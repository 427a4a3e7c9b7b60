package dev.peerpigeon.transport;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/** WebSocket frame headers and our unmasked server frames (RFC 6455 section 5.2). Stateless. */
final class FrameHeaders {
    /** Encodes a shared frame once: the complete unmasked text frame, header and payload; never modified. */
    static final Function<String, byte[]> SERVER_TEXT_FRAME =
            text -> frame(0x1, text.getBytes(StandardCharsets.UTF_8)).array();

    private FrameHeaders() {
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

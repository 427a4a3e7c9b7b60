package dev.peerpigeon.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * WebSocket wire helpers of {@link NioWsClient}: client frame encoding (zero mask key) and the end of the
 * upgrade response head; stateless, so any thread may call it.
 */
final class WsFrames {
    private WsFrames() {
    }

    /** A masked text frame of {@code text}. */
    static ByteBuffer text(String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        return frame(0x1, payload);
    }

    /** A masked final frame of {@code opcode}, ready to write. */
    static ByteBuffer frame(int opcode, byte[] payload) {
        int len = payload.length;
        ByteBuffer b = ByteBuffer.allocate(headerLength(len) + 4 + len);
        b.put((byte) (0x80 | opcode));
        putMaskedLength(b, len); // zero mask key: payload unchanged
        b.put(payload);
        b.flip();
        return b;
    }

    /** Bytes of a frame header before the mask key, for a payload of {@code len} bytes. */
    static int headerLength(int len) {
        return len < 126 ? 2 : len < 65536 ? 4 : 10;
    }

    /** The masked payload length of a client frame header, then a zero mask key (payload unchanged). */
    static void putMaskedLength(ByteBuffer b, int len) {
        if (len < 126) {
            b.put((byte) (0x80 | len));
        } else if (len < 65536) {
            b.put((byte) (0x80 | 126));
            b.putShort((short) len);
        } else {
            b.put((byte) (0x80 | 127));
            b.putLong(len);
        }
        b.putInt(0);
    }

    /** Where the HTTP head in {@code b} ends (before its blank line), relative to its position; -1 if not yet. */
    static int indexOfHeadEnd(ByteBuffer b) {
        for (int i = b.position(); i + 3 < b.limit(); i++) {
            if (b.get(i) == '\r' && b.get(i + 1) == '\n' && b.get(i + 2) == '\r' && b.get(i + 3) == '\n') {
                return i - b.position();
            }
        }
        return -1;
    }
}

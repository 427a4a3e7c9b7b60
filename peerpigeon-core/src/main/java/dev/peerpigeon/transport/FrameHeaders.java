package dev.peerpigeon.transport;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/** WebSocket frame headers, masking, and our unmasked server frames (RFC 6455 section 5.2). Stateless. */
final class FrameHeaders {
    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
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

    /**
     * An unmasked server frame over {@code buf}'s own bytes: the payload follows {@code headroom} free bytes, and the
     * header is written right before it (headroom of at least 10 bytes: any length's header fits).
     */
    static ByteBuffer frameInPlace(int opcode, byte[] buf, int headroom) {
        int len = buf.length - headroom;
        int start = headroom - headerLength(len, false);
        ByteBuffer b = ByteBuffer.wrap(buf, start, buf.length - start);
        putHeader(b, 0x80 | opcode, len, false);
        b.position(start);
        return b;
    }

    /**
     * XORs the {@code len} payload bytes at {@code buf[off]} with the 4-byte masking key at {@code key[at]} (masks
     * or unmasks: the same operation), eight bytes at a time: byte by byte, unmasking was most of a hub's decoding
     * time under relay load (every client and hub-link frame is masked).
     */
    static void mask(byte[] buf, int off, int len, byte[] key, int at) {
        long k = (key[at] & 0xffL) | (key[at + 1] & 0xffL) << 8 | (key[at + 2] & 0xffL) << 16 | (key[at + 3] & 0xffL) << 24;
        long mask = k | k << 32; // little-endian words: payload byte j of a word at j % 8 == 0 gets key[j & 3]
        int i = 0;
        for (int end = len - 7; i < end; i += 8) {
            LONGS.set(buf, off + i, (long) LONGS.get(buf, off + i) ^ mask); // unaligned access is allowed here
        }
        for (; i < len; i++) {
            buf[off + i] ^= key[at + (i & 3)];
        }
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

package dev.peerpigeon.transport;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/** WebSocket frame headers, masking, and frame encoding for both ends (RFC 6455 section 5.2). Stateless. */
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

    /**
     * Encodes any frame the library sends through a draft (closes, pings, pongs, text): masked with a fresh key on
     * the client side of a hub link (RFC 6455 5.3: every client frame), unmasked from the server. The payload is
     * copied once, into the frame, and masked there a word at a time.
     */
    static ByteBuffer encode(org.java_websocket.framing.Framedata f, boolean masked) {
        ByteBuffer data = f.getPayloadData();
        int len = data.remaining();
        ByteBuffer out = ByteBuffer.allocate(headerLength(len, masked) + len);
        int first = (f.isFin() ? 0x80 : 0) | (f.isRSV1() ? 0x40 : 0) | (f.isRSV2() ? 0x20 : 0) | (f.isRSV3() ? 0x10 : 0)
                | opcode(f.getOpcode());
        putHeader(out, first, len, masked);
        if (masked) {
            out.putInt(java.util.concurrent.ThreadLocalRandom.current().nextInt());
        }
        int at = out.position();
        data.duplicate().get(out.array(), at, len);
        if (masked) {
            mask(out.array(), at, len, out.array(), at - 4);
        }
        out.position(at + len).flip();
        return out;
    }

    /** A whole text message as one frame; our own text is valid by construction (no UTF-8 re-check as the base draft). */
    static java.util.List<org.java_websocket.framing.Framedata> textFrame(String text, boolean masked) {
        org.java_websocket.framing.TextFrame frame = new org.java_websocket.framing.TextFrame();
        frame.setPayload(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        frame.setTransferemasked(masked);
        return java.util.Collections.singletonList(frame);
    }

    private static int opcode(org.java_websocket.enums.Opcode op) {
        return switch (op) {
            case CONTINUOUS -> 0x0;
            case TEXT -> 0x1;
            case BINARY -> 0x2;
            case CLOSING -> 0x8;
            case PING -> 0x9;
            case PONG -> 0xA;
        };
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

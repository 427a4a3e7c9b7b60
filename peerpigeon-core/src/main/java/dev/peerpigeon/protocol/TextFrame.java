package dev.peerpigeon.protocol;

import java.nio.charset.StandardCharsets;

/**
 * One whole text message as the UTF-8 bytes it arrived in, for {@link MessageCodec#parse(TextFrame)}: a signal is
 * parsed where it lies and its {@code data} copied from there into the relayed frame, so no String of the message is
 * made (that String was two fifths of what a relayed signal allocated).
 *
 * <p>A view, valid only during the call that hands it over: the transport's are views of its read buffer, reused for
 * the next read. Keep Strings ({@link Inbound}'s fields, {@link Inbound#data()}), never the frame or the Inbound
 * parsed from it. Immutable; one thread.
 */
public final class TextFrame {
    private final byte[] bytes;
    private final int offset;
    private final int length;
    private final boolean printableAscii;

    /**
     * {@code bytes[offset, offset + length)}, which must be valid UTF-8 (the transport checked it). {@code printableAscii}
     * vouches that every byte is 0x20-0x7f (found 8 bytes at a time by the transport): the parse then skips the
     * per-byte checks for control characters.
     */
    public TextFrame(byte[] bytes, int offset, int length, boolean printableAscii) {
        if (offset < 0 || length < 0 || offset > bytes.length - length) {
            throw new IndexOutOfBoundsException("offset " + offset + ", length " + length + " of " + bytes.length);
        }
        this.bytes = bytes;
        this.offset = offset;
        this.length = length;
        this.printableAscii = printableAscii;
    }

    /** A frame of {@code text}'s UTF-8 encoding (tests, and text that did not come from a socket). */
    public static TextFrame of(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return new TextFrame(b, 0, b.length, false);
    }

    byte[] bytes() {
        return bytes;
    }

    int offset() {
        return offset;
    }

    /** The message's size in bytes. */
    public int length() {
        return length;
    }

    boolean printableAscii() {
        return printableAscii;
    }

    /** The message as a String (a copy: for logs and the rare consumer that needs the whole text). */
    @Override
    public String toString() {
        return new String(bytes, offset, length, StandardCharsets.UTF_8);
    }
}

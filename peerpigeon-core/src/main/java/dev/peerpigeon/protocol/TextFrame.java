package dev.peerpigeon.protocol;

import java.nio.charset.StandardCharsets;

/**
 * One whole text message as the UTF-8 bytes it arrived in, for {@link MessageCodec#parse(TextFrame)}: a signal is
 * parsed where it lies and its {@code data} copied from there into the relayed frame, so no String of the message is
 * made (that String was two fifths of what a relayed signal allocated).
 *
 * <p>A view, valid only during the call that hands it over: the transport's are views of its read buffer, reused for
 * the next read. Keep Strings ({@link Inbound}'s fields, {@link Inbound#data()}), never the frame or the Inbound
 * parsed from it. Its bytes are always strict UTF-8 ({@link #checked}). Immutable; one thread.
 */
public final class TextFrame {
    private final byte[] bytes;
    private final int offset;
    private final int length;
    private final boolean printableAscii;

    /** Unchecked: for {@link #checked} and this package's tests (which parse printable text both ways). */
    TextFrame(byte[] bytes, int offset, int length, boolean printableAscii) {
        this.bytes = bytes;
        this.offset = offset;
        this.length = length;
        this.printableAscii = printableAscii;
    }

    /**
     * A frame of {@code bytes[offset, offset + length)}, or null when they are not strict UTF-8. Printable ASCII (every
     * byte 0x20-0x7f), nearly every signaling message, is found 8 bytes at a time and marked so: its parse then skips
     * the per-byte checks for control characters. The only way to make a frame, so none holds text it has not checked.
     */
    public static TextFrame checked(byte[] bytes, int offset, int length) {
        if (offset < 0 || length < 0 || offset > bytes.length - length) {
            throw new IndexOutOfBoundsException("offset " + offset + ", length " + length + " of " + bytes.length);
        }
        if (ByteScan.isPrintableAscii(bytes, offset, offset + length)) {
            return new TextFrame(bytes, offset, length, true);
        }
        return ByteScan.isUtf8(bytes, offset, offset + length) ? new TextFrame(bytes, offset, length, false) : null;
    }

    /** A frame of {@code text}'s UTF-8 encoding (tests, and text that did not come from a socket). */
    public static TextFrame of(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return checked(b, 0, b.length); // never null: the JDK's encoder writes valid UTF-8
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

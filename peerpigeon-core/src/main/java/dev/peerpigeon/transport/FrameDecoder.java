package dev.peerpigeon.transport;

import dev.peerpigeon.protocol.TextFrame;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.Framedata;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.List;

/**
 * Our bounded WebSocket frame decoder (RFC 6455 section 5): partial frames, masks, fragmented messages, all
 * bounded by the frame size limit. Fed bytes as they arrive; returns the complete frames.
 *
 * <p>Threads: one instance per connection, used by the one thread decoding that connection at a time (its worker,
 * or the selector once it is open: {@link SelectorDecoding}).
 */
final class FrameDecoder {
    private final int maxFrameSize;
    /** True when the frames come from a client (they must be masked). */
    private final boolean clientFrames;

    FrameDecoder(int maxFrameSize, boolean clientFrames) {
        this.maxFrameSize = maxFrameSize;
        this.clientFrames = clientFrames;
    }

    // A whole text or binary frame that arrived in one read is not copied at all (inPlace); the bytes of any other
    // frame are copied once, into the payload array of that frame, however they are split across reads. A fragmented message is assembled here too (into one array that grows with what has
    // arrived, never past maxFrameSize), so the base draft only ever sees complete, unfragmented frames.

    /** Header bytes of the frame being read (2 to 14 of them). */
    private final byte[] header = new byte[14];
    private int headerFill;
    /** Payload length of the frame being read, or -1 while its header is incomplete. */
    private int frameLength = -1;
    private byte[] framePayload;
    private int frameFill;
    /** Opcode (0, 1 or 2) of the fragmented message in progress, or -1 when none. */
    private int messageOpcode = -1;
    private byte[] message;
    private int messageLength;
    /**
     * Set after a violation was reported: everything that follows is discarded. (No reset() override:
     * the library resets drafts from other threads while closing, and it decodes nothing after a close.)
     */
    private boolean failed;

    /** Initial allocation for a payload that has not fully arrived: memory follows bytes received. */
    private static final int INITIAL_PARTIAL = 16 * 1024;

    /**
     * A protocol violation found by the decoder, handed to {@link #deliver} which closes with its
     * code (the base draft would log a stack trace at ERROR for every bad client frame).
     */
    static final class Violation extends org.java_websocket.framing.FramedataImpl1 {
        final int code;
        final String reason;

        Violation(int code, String reason) {
            super(org.java_websocket.enums.Opcode.CLOSING);
            this.code = code;
            this.reason = reason;
        }

        @Override
        public void isValid() {
        }
    }

    /**
     * Decodes frames. Same checks as the base draft (opcodes, RSV bits, control frame rules, size
     * limit → 1009), plus: client frames must be masked (1002, RFC 6455 5.1), and a fragmented
     * message is bounded by the size limit on every fragment (1009; the base draft checks only the first
     * and the last). Text payloads are validated as UTF-8 once, 8 bytes at a time where they are ASCII, when they
     * are delivered ({@link TextFrame#checked}), instead of also by a byte-at-a-time DFA; and unmasking works on arrays.
     * (Profiling showed the base draft's UTF-8 DFA as the server's top hotspot.)
     */
    List<Framedata> decode(ByteBuffer in) throws InvalidDataException {
        if (failed) {
            in.position(in.limit()); // bytes after a violation: ignored
            return Collections.emptyList();
        }
        List<Framedata> frames = new java.util.ArrayList<>(2);
        while (in.hasRemaining()) {
            Framedata f;
            try {
                f = decodeStep(in);
            } catch (org.java_websocket.exceptions.LimitExceededException e) {
                failed = true;
                in.position(in.limit());
                throw e; // closed 1009 by the library, quietly
            } catch (InvalidDataException e) {
                f = new Violation(e.getCloseCode(), e.getMessage());
            }
            if (f instanceof Violation) {
                failed = true;
                in.position(in.limit());
                frames.add(f);
                break;
            }
            if (f != null) {
                frames.add(f);
            }
        }
        return frames;
    }

    /** Consumes bytes of the current frame; returns a frame to deliver when one is complete, else null. */
    private Framedata decodeStep(ByteBuffer in) throws InvalidDataException {
        if (frameLength < 0) {
            if (!readHeader(in)) {
                return null;
            }
            if (frameLength > 0 && in.remaining() >= frameLength && in.hasArray() && isWholeDataFrame()) {
                return inPlace(in);
            }
            if (frameLength > 0) {
                // Sized from the header, but memory follows the bytes that arrived (a header alone costs little).
                framePayload = new byte[Math.min(frameLength, Math.max(in.remaining(), INITIAL_PARTIAL))];
            }
        }
        if (frameFill < frameLength) {
            int n = Math.min(in.remaining(), frameLength - frameFill);
            if (frameFill + n > framePayload.length) {
                framePayload = java.util.Arrays.copyOf(framePayload,
                        (int) Math.min(frameLength, Math.max(2L * framePayload.length, frameFill + n)));
            }
            in.get(framePayload, frameFill, n);
            frameFill += n;
            if (frameFill < frameLength) {
                return null;
            }
        }
        byte[] payload = frameLength == 0 ? new byte[0] : framePayload;
        Framedata f = completeFrame(payload); // reads the header: reset after
        framePayload = null;
        frameFill = 0;
        frameLength = -1;
        headerFill = 0;
        return f;
    }

    /** True when the frame whose header was just read is a whole text or binary message (no fragment, no control). */
    private boolean isWholeDataFrame() {
        int b1 = header[0] & 0xff;
        int opcode = b1 & 0x0f;
        return (b1 & 0x80) != 0 && (opcode == 1 || opcode == 2);
    }

    /**
     * A whole data frame that arrived in one read is unmasked where it lies and delivered as a view of the read
     * buffer: the library hands every frame of a read to the listener before it reuses the buffer, and the listener
     * keeps nothing of a {@link TextFrame} past the call. One copy of each signal less.
     */
    private Framedata inPlace(ByteBuffer in) throws InvalidDataException {
        byte[] a = in.array();
        int off = in.arrayOffset() + in.position();
        if ((header[1] & 0x80) != 0) {
            FrameHeaders.mask(a, off, frameLength, header, headerFill - 4);
        }
        in.position(in.position() + frameLength);
        Framedata f = frame(header[0] & 0x0f, a, off, frameLength);
        frameLength = -1;
        headerFill = 0;
        return f;
    }

    /** Reads header bytes; true once the header is complete and checked ({@link #frameLength} set). */
    private boolean readHeader(ByteBuffer in) throws InvalidDataException {
        while (headerFill < 2) {
            if (!in.hasRemaining()) {
                return false;
            }
            header[headerFill++] = in.get();
        }
        int b1 = header[0] & 0xff;
        int b2 = header[1] & 0xff;
        boolean masked = (b2 & 0x80) != 0;
        int len7 = b2 & 0x7f;
        int needed = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0);
        if (headerFill == 2) {
            checkFirstBytes(b1, masked, len7); // before waiting for the rest: fail as early as possible
        }
        while (headerFill < needed) {
            if (!in.hasRemaining()) {
                return false;
            }
            header[headerFill++] = in.get();
        }
        long length = len7;
        if (len7 == 126) {
            length = ((header[2] & 0xff) << 8) | (header[3] & 0xff);
        } else if (len7 == 127) {
            length = ByteBuffer.wrap(header, 2, 8).getLong();
        }
        int opcode = b1 & 0x0f;
        if (length < 0 || length > maxFrameSize) {
            throw new org.java_websocket.exceptions.LimitExceededException("Payload limit reached.", maxFrameSize);
        }
        if (opcode == 0 && messageLength + length > maxFrameSize) {
            // Checked on every fragment, before its payload is buffered.
            throw new org.java_websocket.exceptions.LimitExceededException("Fragmented message too big", maxFrameSize);
        }
        frameLength = (int) length;
        return true;
    }

    /** RFC 6455 checks that need only the first two bytes of a frame. */
    private void checkFirstBytes(int b1, boolean masked, int len7) throws InvalidDataException {
        if ((b1 & 0x70) != 0) {
            throw protocolError("RSV bits set without a negotiated extension");
        }
        int opcode = b1 & 0x0f;
        boolean fin = (b1 & 0x80) != 0;
        if (opcode > 2 && opcode != 8 && opcode != 9 && opcode != 10) {
            throw protocolError("Unknown opcode " + opcode);
        }
        if (opcode >= 8 && (len7 > 125 || !fin)) {
            throw protocolError(len7 > 125 ? "Control frame with more than 125 octets" : "Fragmented control frame");
        }
        if (clientFrames && !masked) {
            throw protocolError("Client frames must be masked"); // RFC 6455 5.1; a hub link's server frames are not
        }
        if (opcode == 0 && messageOpcode < 0) {
            throw protocolError("Continuation frame without a message in progress");
        }
        if ((opcode == 1 || opcode == 2) && messageOpcode >= 0) {
            throw protocolError("New message before the fragmented one finished");
        }
    }

    private static InvalidDataException protocolError(String reason) {
        return new InvalidDataException(org.java_websocket.framing.CloseFrame.PROTOCOL_ERROR, reason);
    }

    /** Unmasks a complete frame's payload and turns it into a frame to deliver (null: a fragment kept). */
    private Framedata completeFrame(byte[] payload) throws InvalidDataException {
        int b1 = header[0] & 0xff;
        boolean fin = (b1 & 0x80) != 0;
        int opcode = b1 & 0x0f;
        if ((header[1] & 0x80) != 0) {
            FrameHeaders.mask(payload, 0, payload.length, header, headerFill - 4);
        }
        if (opcode == 0 || ((opcode == 1 || opcode == 2) && !fin)) {
            return fragment(opcode, fin, payload);
        }
        return frame(opcode, payload, 0, payload.length);
    }

    /** Appends a fragment to the message in progress; returns the whole message after the last one. */
    private Framedata fragment(int opcode, boolean fin, byte[] payload) throws InvalidDataException {
        if (opcode != 0) {
            messageOpcode = opcode;
            message = payload;
            messageLength = payload.length;
            return null;
        }
        int total = messageLength + payload.length; // ≤ maxFrameSize: checked with the header
        if (total > message.length) {
            message = java.util.Arrays.copyOf(message, (int) Math.min(maxFrameSize, Math.max(2L * message.length, total)));
        }
        System.arraycopy(payload, 0, message, messageLength, payload.length);
        messageLength = total;
        if (!fin) {
            return null;
        }
        Framedata whole = frame(messageOpcode, message, 0, messageLength);
        messageOpcode = -1;
        message = null;
        messageLength = 0;
        return whole;
    }

    private static Framedata frame(int opcode, byte[] payload, int offset, int length) throws InvalidDataException {
        org.java_websocket.enums.Opcode op = switch (opcode) {
            case 1 -> org.java_websocket.enums.Opcode.TEXT;
            case 2 -> org.java_websocket.enums.Opcode.BINARY;
            case 8 -> org.java_websocket.enums.Opcode.CLOSING;
            case 9 -> org.java_websocket.enums.Opcode.PING;
            default -> org.java_websocket.enums.Opcode.PONG;
        };
        org.java_websocket.framing.FramedataImpl1 frame = org.java_websocket.framing.FramedataImpl1.get(op);
        frame.setFin(true);
        frame.setPayload(ByteBuffer.wrap(payload, offset, length));
        if (op != org.java_websocket.enums.Opcode.TEXT) {
            frame.isValid(); // control frame rules, close codes; text is validated when decoded
        }
        return frame;
    }

    /** A listener that takes whole text messages as they lie ({@link TextFrame}s): both of ours. */
    interface TextListener {
        void onText(org.java_websocket.WebSocket ws, TextFrame text);
    }

    /**
     * Delivers what both ends' drafts handle alike: a violation closes with its code (instead of the base draft's
     * stack trace at ERROR for every bad frame), a whole text message goes to the listener as a {@link TextFrame} of
     * its payload. False for any other frame, which the draft handles.
     */
    static boolean deliver(org.java_websocket.WebSocketImpl ws, Framedata frame) {
        if (frame instanceof Violation v) {
            ws.close(v.code, v.reason);
            return true;
        }
        if (frame.getOpcode() != org.java_websocket.enums.Opcode.TEXT || !frame.isFin()) {
            return false;
        }
        // Whole messages only (fragments are assembled here). The base draft decodes through a new CharsetDecoder
        // and a CharBuffer twice the message's size (about 3 KB of garbage per 1 KB signal); we make no String at all.
        TextFrame text = text(frame.getPayloadData());
        if (text == null) {
            // Closed here rather than thrown: the library logs a thrown InvalidDataException with its stack.
            ws.close(org.java_websocket.framing.CloseFrame.NO_UTF8, "Invalid UTF-8 in text frame");
            return true;
        }
        org.java_websocket.WebSocketListener listener = ws.getWebSocketListener();
        try {
            if (listener instanceof TextListener t) {
                t.onText(ws, text);
            } else {
                listener.onWebsocketMessage(ws, text.toString());
            }
        } catch (RuntimeException e) {
            listener.onWebsocketError(ws, e); // as the base draft, unlogged
        }
        return true;
    }

    /**
     * A payload as a {@link TextFrame} (a view of its bytes, which it does not consume), or null when it is not strict
     * UTF-8 (text frames are closed 1007, binary frames get an error): {@link TextFrame#checked}.
     */
    static TextFrame text(ByteBuffer payload) {
        int length = payload.remaining();
        byte[] a;
        int from;
        if (payload.hasArray()) {
            a = payload.array();
            from = payload.arrayOffset() + payload.position();
        } else {
            a = new byte[length];
            payload.duplicate().get(a);
            from = 0;
        }
        return TextFrame.checked(a, from, length);
    }
}

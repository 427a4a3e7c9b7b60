package dev.peerpigeon.transport;

import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.HandshakeState;
import org.java_websocket.exceptions.IncompleteHandshakeException;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.HandshakeImpl1Client;
import org.java_websocket.handshake.HandshakeBuilder;
import org.java_websocket.handshake.Handshakedata;
import org.java_websocket.handshake.ServerHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * RFC 6455 draft that also serves plain HTTP on the same port. Java-WebSocket only accepts GET
 * upgrade requests; this draft parses any request head leniently, lets the server decide (upgrade,
 * endpoint response or refusal with a real status code), and writes non-101 responses verbatim.
 * After a plain response the connection reads no frames and is closed once the response is flushed.
 *
 * <p>Threads: one instance per connection (see {@link #copyInstance()}), used by its worker thread.
 */
final class HttpUpgradeDraft extends Draft_6455 {
    /** Longest request head accepted; larger ones are refused before they are buffered. */
    static final int MAX_HEAD_BYTES = 16 * 1024;

    private final int maxFrameSize;
    private boolean httpOnly;

    HttpUpgradeDraft(int maxFrameSize) {
        super(Collections.emptyList(), maxFrameSize);
        this.maxFrameSize = maxFrameSize;
    }

    /** A parsed request head that remembers its method and whether it could be parsed at all. */
    static final class ParsedRequest extends HandshakeImpl1Client {
        String method = "GET";
        boolean malformed;
    }

    @Override
    public Draft copyInstance() {
        return new HttpUpgradeDraft(maxFrameSize);
    }

    @Override
    public Handshakedata translateHandshake(ByteBuffer buf) throws InvalidHandshakeException {
        if (role != org.java_websocket.enums.Role.SERVER) {
            return super.translateHandshake(buf);
        }
        int start = buf.position();
        int end = findHeadEnd(buf);
        if (end < 0) {
            if (buf.remaining() > MAX_HEAD_BYTES) {
                throw new InvalidHandshakeException("request head larger than " + MAX_HEAD_BYTES + " bytes");
            }
            throw new IncompleteHandshakeException(buf.capacity() + 128);
        }
        byte[] head = new byte[end - start];
        buf.get(head);
        buf.position(end + 4); // after CRLFCRLF; any frames that follow stay in the buffer
        String text = new String(head, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r\n", -1);
        ParsedRequest request = new ParsedRequest();
        if (head.length > MAX_HEAD_BYTES) {
            request.malformed = true; // answered with 400 and closed
        }
        String[] first = lines[0].split(" ", -1);
        if (first.length == 3 && !first[0].isEmpty() && first[1].startsWith("/")
                && first[2].toUpperCase(Locale.ROOT).startsWith("HTTP/")) {
            request.method = first[0];
            request.setResourceDescriptor(first[1]);
        } else {
            request.malformed = true;
            request.setResourceDescriptor("/");
        }
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                request.malformed = true;
                continue;
            }
            String name = lines[i].substring(0, colon).trim();
            String value = lines[i].substring(colon + 1).trim();
            if (request.hasFieldValue(name)) {
                value = request.getFieldValue(name) + ", " + value;
            }
            request.put(name, value);
        }
        return request;
    }

    private static int findHeadEnd(ByteBuffer buf) {
        int limit = buf.limit();
        for (int i = buf.position(); i + 3 < limit; i++) {
            if (buf.get(i) == '\r' && buf.get(i + 1) == '\n' && buf.get(i + 2) == '\r' && buf.get(i + 3) == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** True when the request is a WebSocket upgrade this draft can complete. */
    static boolean isUpgrade(ClientHandshake request) {
        if (!(request instanceof ParsedRequest parsed) || parsed.malformed || !"GET".equals(parsed.method)) {
            return false;
        }
        String connection = request.getFieldValue("Connection").toLowerCase(Locale.ROOT);
        return request.getFieldValue("Upgrade").equalsIgnoreCase("websocket")
                && connection.contains("upgrade")
                && !request.getFieldValue("Sec-WebSocket-Key").isEmpty()
                && "13".equals(request.getFieldValue("Sec-WebSocket-Version").trim());
    }

    static String method(ClientHandshake request) {
        return request instanceof ParsedRequest parsed ? parsed.method : "GET";
    }

    static boolean malformed(ClientHandshake request) {
        return request instanceof ParsedRequest parsed && parsed.malformed;
    }

    @Override
    public HandshakeState acceptHandshakeAsServer(ClientHandshake request) throws InvalidHandshakeException {
        if (isUpgrade(request)) {
            // Runs the extension/protocol negotiation of the base draft; it accepts any client here.
            super.acceptHandshakeAsServer(request);
        }
        // Always "matched": the server answers every request itself, with a real status on refusal.
        return HandshakeState.MATCHED;
    }

    @Override
    public HandshakeBuilder postProcessHandshakeResponseAsServer(ClientHandshake request,
                                                                 ServerHandshakeBuilder response)
            throws InvalidHandshakeException {
        if (response.getHttpStatus() != 101) {
            httpOnly = true;
            return response;
        }
        return super.postProcessHandshakeResponseAsServer(request, response);
    }

    @Override
    public List<ByteBuffer> createHandshake(Handshakedata handshakedata, boolean withcontent) {
        if (!(handshakedata instanceof ServerHandshake response) || response.getHttpStatus() == 101) {
            return super.createHandshake(handshakedata, withcontent);
        }
        StringBuilder head = new StringBuilder(256);
        head.append("HTTP/1.1 ").append(response.getHttpStatus()).append(' ')
                .append(response.getHttpStatusMessage()).append("\r\n");
        Iterator<String> it = response.iterateHttpFields();
        while (it.hasNext()) {
            String name = it.next();
            head.append(name).append(": ").append(response.getFieldValue(name)).append("\r\n");
        }
        head.append("\r\n");
        byte[] headBytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] content = withcontent && response.getContent() != null ? response.getContent() : new byte[0];
        ByteBuffer out = ByteBuffer.allocate(headBytes.length + content.length);
        out.put(headBytes).put(content).flip();
        return Collections.singletonList(out);
    }

    // ---------------------------------------------------------------- frame decoder (worker thread only)
    // Bytes of a frame are copied once, into the payload array of that frame, however they are split
    // across reads. A fragmented message is assembled here too (into one array that grows with what has
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
     * A protocol violation found by the decoder, handed to {@link #processFrame} which closes with its
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

    @Override
    public void processFrame(org.java_websocket.WebSocketImpl webSocketImpl, Framedata frame) throws InvalidDataException {
        if (frame instanceof Violation v) {
            webSocketImpl.close(v.code, v.reason);
            return;
        }
        super.processFrame(webSocketImpl, frame);
    }

    /**
     * Decodes frames. Same checks as the base draft (opcodes, RSV bits, control frame rules, size
     * limit → 1009), plus: client frames must be masked (1002, RFC 6455 5.1), and a fragmented
     * message is bounded by the size limit on every fragment (1009; the base draft checks only the first
     * and the last). Text payloads are validated as UTF-8 once, by the strict decoder that turns them
     * into strings, instead of also by a byte-at-a-time DFA; and unmasking works on arrays.
     * (Profiling showed the base draft's UTF-8 DFA as the server's top hotspot.)
     */
    @Override
    public List<Framedata> translateFrame(ByteBuffer in) throws InvalidDataException {
        if (httpOnly || failed) {
            in.position(in.limit()); // a request body, pipelined bytes, or bytes after a violation: ignored
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
        if (role == org.java_websocket.enums.Role.SERVER && !masked) {
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
            int m = headerFill - 4;
            byte[] mask = {header[m], header[m + 1], header[m + 2], header[m + 3]};
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i & 3];
            }
        }
        if (opcode == 0 || ((opcode == 1 || opcode == 2) && !fin)) {
            return fragment(opcode, fin, payload);
        }
        return frame(opcode, payload, payload.length);
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
        Framedata whole = frame(messageOpcode, message, messageLength);
        messageOpcode = -1;
        message = null;
        messageLength = 0;
        return whole;
    }

    private static Framedata frame(int opcode, byte[] payload, int length) throws InvalidDataException {
        org.java_websocket.enums.Opcode op = switch (opcode) {
            case 1 -> org.java_websocket.enums.Opcode.TEXT;
            case 2 -> org.java_websocket.enums.Opcode.BINARY;
            case 8 -> org.java_websocket.enums.Opcode.CLOSING;
            case 9 -> org.java_websocket.enums.Opcode.PING;
            default -> org.java_websocket.enums.Opcode.PONG;
        };
        org.java_websocket.framing.FramedataImpl1 frame = org.java_websocket.framing.FramedataImpl1.get(op);
        frame.setFin(true);
        frame.setPayload(ByteBuffer.wrap(payload, 0, length));
        if (op != org.java_websocket.enums.Opcode.TEXT) {
            frame.isValid(); // control frame rules, close codes; text is validated when decoded
        }
        return frame;
    }

    /**
     * Masked text frames (this draft on the client side of a hub link) are masked over an array instead of
     * byte by byte through ByteBuffer accessors; everything else is encoded by the base draft.
     */
    @Override
    public ByteBuffer createBinaryFrame(Framedata f) {
        if (!f.getTransfereMasked() || f.getOpcode() != org.java_websocket.enums.Opcode.TEXT) {
            return super.createBinaryFrame(f);
        }
        ByteBuffer data = f.getPayloadData();
        int len = data.remaining();
        ByteBuffer out = ByteBuffer.allocate(WebSocketTransport.headerLength(len, true) + len);
        WebSocketTransport.putHeader(out, (f.isFin() ? 0x80 : 0) | 0x1, len, true);
        int key = java.util.concurrent.ThreadLocalRandom.current().nextInt();
        out.putInt(key);
        byte[] mask = {(byte) (key >>> 24), (byte) (key >>> 16), (byte) (key >>> 8), (byte) key};
        byte[] payload = new byte[len];
        data.duplicate().get(payload);
        for (int i = 0; i < len; i++) {
            payload[i] ^= mask[i & 3];
        }
        out.put(payload).flip();
        return out;
    }

    /** Our own frames are valid by construction: skip the base draft's UTF-8 re-validation of outgoing text. */
    @Override
    public List<Framedata> createFrames(String text, boolean mask) {
        org.java_websocket.framing.TextFrame frame = new org.java_websocket.framing.TextFrame();
        frame.setPayload(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        frame.setTransferemasked(mask);
        return Collections.singletonList(frame);
    }
}

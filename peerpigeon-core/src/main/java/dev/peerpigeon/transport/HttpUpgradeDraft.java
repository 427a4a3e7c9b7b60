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

    /** Bytes of a frame that has not fully arrived yet (null when none). Worker thread only. */
    private ByteBuffer pending;

    /**
     * Decodes frames. Same checks as the base draft (opcodes, RSV bits, control frame rules, size
     * limit → 1009), but text payloads are validated as UTF-8 once, by the strict decoder that turns
     * them into strings, instead of also by a byte-at-a-time DFA; and unmasking works on arrays.
     * (Profiling showed the base draft's UTF-8 DFA as the server's top hotspot.)
     */
    @Override
    public List<Framedata> translateFrame(ByteBuffer buffer) throws InvalidDataException {
        if (httpOnly) {
            buffer.position(buffer.limit()); // a request body or pipelined bytes: ignored, we close anyway
            return Collections.emptyList();
        }
        ByteBuffer in = buffer;
        if (pending != null) {
            ByteBuffer joined = ByteBuffer.allocate(pending.remaining() + buffer.remaining());
            joined.put(pending).put(buffer).flip();
            in = joined;
            pending = null;
        }
        List<Framedata> frames = new java.util.ArrayList<>(2);
        while (in.hasRemaining()) {
            int start = in.position();
            Framedata f = decodeOne(in);
            if (f == null) {
                in.position(start);
                pending = ByteBuffer.allocate(in.remaining());
                pending.put(in).flip();
                break;
            }
            frames.add(f);
        }
        return frames;
    }

    /** One frame from {@code in}, or null (position unspecified) when it is not complete yet. */
    private Framedata decodeOne(ByteBuffer in) throws InvalidDataException {
        if (in.remaining() < 2) {
            return null;
        }
        int b1 = in.get() & 0xff;
        int b2 = in.get() & 0xff;
        boolean fin = (b1 & 0x80) != 0;
        if ((b1 & 0x70) != 0) {
            throw new org.java_websocket.exceptions.InvalidFrameException("RSV bits set without a negotiated extension");
        }
        org.java_websocket.enums.Opcode opcode = switch (b1 & 0x0f) {
            case 0 -> org.java_websocket.enums.Opcode.CONTINUOUS;
            case 1 -> org.java_websocket.enums.Opcode.TEXT;
            case 2 -> org.java_websocket.enums.Opcode.BINARY;
            case 8 -> org.java_websocket.enums.Opcode.CLOSING;
            case 9 -> org.java_websocket.enums.Opcode.PING;
            case 10 -> org.java_websocket.enums.Opcode.PONG;
            default -> throw new org.java_websocket.exceptions.InvalidFrameException("Unknown opcode " + (b1 & 0x0f));
        };
        boolean control = (b1 & 0x08) != 0;
        boolean masked = (b2 & 0x80) != 0;
        long length = b2 & 0x7f;
        if (length == 126) {
            if (in.remaining() < 2) {
                return null;
            }
            length = in.getShort() & 0xffff;
        } else if (length == 127) {
            if (in.remaining() < 8) {
                return null;
            }
            length = in.getLong();
        }
        if (control && length > 125) {
            throw new org.java_websocket.exceptions.InvalidFrameException("more than 125 octets");
        }
        if (length < 0 || length > maxFrameSize) {
            throw new org.java_websocket.exceptions.LimitExceededException("Payload limit reached.", maxFrameSize);
        }
        int len = (int) length;
        if (in.remaining() < (masked ? 4 : 0) + len) {
            return null;
        }
        byte[] mask = new byte[4];
        if (masked) {
            in.get(mask);
        }
        byte[] payload = new byte[len];
        in.get(payload);
        if (masked) {
            for (int i = 0; i < len; i++) {
                payload[i] ^= mask[i & 3];
            }
        }
        org.java_websocket.framing.FramedataImpl1 frame = org.java_websocket.framing.FramedataImpl1.get(opcode);
        frame.setFin(fin);
        frame.setPayload(ByteBuffer.wrap(payload));
        if (opcode != org.java_websocket.enums.Opcode.TEXT) {
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

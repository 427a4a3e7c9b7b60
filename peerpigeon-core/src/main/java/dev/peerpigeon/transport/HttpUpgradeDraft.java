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

    @Override
    public List<Framedata> translateFrame(ByteBuffer buffer) throws InvalidDataException {
        if (httpOnly) {
            buffer.position(buffer.limit()); // a request body or pipelined bytes: ignored, we close anyway
            return Collections.emptyList();
        }
        return super.translateFrame(buffer);
    }

    boolean httpOnly() {
        return httpOnly;
    }
}

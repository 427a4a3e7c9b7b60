package dev.peerpigeon.transport;

import org.java_websocket.exceptions.IncompleteHandshakeException;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.HandshakeImpl1Client;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Parses an HTTP request head leniently, any method, so the server can answer it with a real status: a pure
 * function of the bytes received so far. Stateless.
 */
final class RequestHeadParser {
    /** Longest request head accepted; larger ones are refused before they are buffered. */
    static final int MAX_HEAD_BYTES = 16 * 1024;
    /** Header lines per request (Tomcat's default too; a browser sends about 15). */
    static final int MAX_HEADER_FIELDS = 100;

    private RequestHeadParser() {
    }

    /** A parsed request head that remembers its method and whether it could be parsed at all. */
    static final class ParsedRequest extends HandshakeImpl1Client {
        String method = "GET";
        boolean malformed;
    }

    /**
     * Parses the head at the buffer's position. On success the buffer is left after its CRLFCRLF (any frames
     * that follow stay in it). Throws {@link IncompleteHandshakeException} while the head is incomplete and
     * {@link InvalidHandshakeException} once more than {@link #MAX_HEAD_BYTES} arrived without its end.
     */
    static ParsedRequest parse(ByteBuffer buf) throws InvalidHandshakeException {
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
        ParsedRequest request = new ParsedRequest();
        if (head.length > MAX_HEAD_BYTES) {
            request.malformed = true; // answered with 400 and closed
        }
        // Lines by indexOf, not String.split("\r\n"): that compiles a regex per request (and is a costly first C2 compile).
        int lineEnd = lineEnd(text, 0);
        parseRequestLine(request, text.substring(0, lineEnd));
        // Stops at the first fault (the answer is 400 whatever follows): each colon search then ends in its own line
        // or the next, so a hostile head costs linear work, not a search to the next colon from every line.
        int fields = 0;
        for (int from = lineEnd + 2; from <= text.length() && !request.malformed; from = lineEnd + 2) {
            lineEnd = lineEnd(text, from);
            int colon = text.indexOf(':', from);
            if (colon <= from || colon >= lineEnd || ++fields > MAX_HEADER_FIELDS) {
                request.malformed = true;
                continue;
            }
            String name = text.substring(from, colon).trim();
            String value = text.substring(colon + 1, lineEnd).trim();
            if (request.hasFieldValue(name)) {
                value = request.getFieldValue(name) + ", " + value;
            }
            request.put(name, value);
        }
        return request;
    }

    /** Where the line starting at {@code from} ends: its CRLF, or the end of the head. */
    private static int lineEnd(String text, int from) {
        int crlf = text.indexOf("\r\n", from);
        return crlf < 0 ? text.length() : crlf;
    }

    /** "METHOD /target HTTP/x": exactly two spaces, a non-empty method and an absolute path. */
    private static void parseRequestLine(ParsedRequest request, String line) {
        int sp1 = line.indexOf(' ');
        int sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
        if (sp1 > 0 && sp2 > sp1 && line.indexOf(' ', sp2 + 1) < 0 && line.startsWith("/", sp1 + 1)
                && line.regionMatches(true, sp2 + 1, "HTTP/", 0, 5)) {
            request.method = line.substring(0, sp1);
            request.setResourceDescriptor(line.substring(sp1 + 1, sp2));
        } else {
            request.malformed = true;
            request.setResourceDescriptor("/");
        }
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

    /** The {@link dev.peerpigeon.http.RequestHead} of a parsed request from {@code remote}. */
    static dev.peerpigeon.http.RequestHead head(ClientHandshake request, java.net.InetSocketAddress remote) {
        java.util.Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        request.iterateHttpFields().forEachRemaining(name -> headers.put(name, request.getFieldValue(name)));
        return new dev.peerpigeon.http.RequestHead(method(request), request.getResourceDescriptor(), headers,
                isUpgrade(request), malformed(request), remote);
    }
}

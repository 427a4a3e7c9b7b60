package dev.peerpigeon.protocol;

/**
 * Wire codec. Parsing ({@link JsonScanner}) decodes only the envelope fields and validates the rest
 * in place; {@code data} is relayed as the exact text the client sent. Encoding writes the envelopes straight into a
 * {@link StringBuilder} in the reference's key order, or into bytes ({@link #relayUtf8}). Stateless.
 */
public final class MessageCodec {
    /** Deepest JSON nesting accepted in a frame; real clients use 3 levels at most. */
    public static final int MAX_NESTING = 32;

    private MessageCodec() {
    }

    /** Parses one frame where it lies. Every malformed or mistyped frame becomes a {@link ProtocolException}. */
    public static Inbound parse(TextFrame frame) throws ProtocolException {
        return new JsonScanner(frame.bytes(), frame.offset(), frame.length(), frame.printableAscii()).parseEnvelope();
    }

    /** Parses {@code text} (its UTF-8 encoding): for text that did not come from a socket. */
    public static Inbound parse(String text) throws ProtocolException {
        return parse(TextFrame.of(text));
    }

    // ---------------------------------------------------------------- encoding

    /** Appends {@code s} as a JSON string literal. */
    public static StringBuilder quote(StringBuilder sb, String s) {
        sb.append('"');
        if (isPlain(s)) {
            return sb.append(s).append('"'); // ids, types, most network names: nothing to escape
        }
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\u2028' -> sb.append("\\u2028");
                case '\u2029' -> sb.append("\\u2029");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"');
    }

    private static boolean isPlain(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\' || c == '\u2028' || c == '\u2029') {
                return false;
            }
        }
        return true;
    }

    public static String quote(String s) {
        return quote(new StringBuilder(s.length() + 2), s).toString();
    }

    /** {@code {"type":"connected","data":{"peerId":id},"fromPeerId":"system","timestamp":t}} */
    public static String connected(String peerId, long now) {
        StringBuilder sb = new StringBuilder(120);
        sb.append("{\"type\":\"connected\",\"data\":{\"peerId\":");
        quote(sb, peerId).append("},\"fromPeerId\":\"system\",\"timestamp\":").append(now).append('}');
        return sb.toString();
    }

    /**
     * A relayed client signal, in the reference's key order
     * {@code type,data,fromPeerId,targetPeerId,networkName,timestamp}.
     * {@code route} adds Java-hub routing fields (hub links only).
     */
    public static String relay(String type, String data, String fromPeerId, String targetPeerId,
                               String networkName, long now, RouteInfo route) {
        // Sized for the whole message (keys ~80 chars, the ids, a 13-digit timestamp): growing it re-copied the
        // data once or twice per relayed signal.
        StringBuilder sb = new StringBuilder(128 + (data == null ? 4 : data.length()) + type.length()
                + fromPeerId.length() + (targetPeerId == null ? 0 : targetPeerId.length()) + networkName.length()
                + (route == null ? 0 : 256));
        sb.append("{\"type\":");
        quote(sb, type);
        if (data != null) {
            sb.append(",\"data\":").append(data);
        }
        sb.append(",\"fromPeerId\":");
        quote(sb, fromPeerId);
        if (targetPeerId != null) {
            sb.append(",\"targetPeerId\":");
            quote(sb, targetPeerId);
        }
        sb.append(",\"networkName\":");
        quote(sb, networkName);
        sb.append(",\"timestamp\":").append(now);
        appendRoute(sb, route);
        return sb.append('}').toString();
    }

    /**
     * Bytes reserved at the start of {@link #relayUtf8}'s array: room for the largest unmasked WebSocket frame header,
     * so the transport writes the header in place and sends the array as it is.
     */
    public static final int FRAME_HEADROOM = 10;

    /** {@link #relayUtf8(Inbound, String, String, String, long, RouteInfo)} with no route: to a local peer. */
    public static byte[] relayUtf8(Inbound msg, String fromPeerId, String targetPeerId, String networkName, long now) {
        return relayUtf8(msg, fromPeerId, targetPeerId, networkName, now, null);
    }

    /**
     * The same message as {@link #relay}, as UTF-8 bytes after {@link #FRAME_HEADROOM} free bytes, built in one
     * exactly sized array with {@code data}'s bytes copied straight from the frame they came in: the relay path's
     * StringBuilder, String, encoded and framed copies were four of a relayed signal's seven copies of its data.
     * Null when a field other than {@code data} is not plain ASCII (escapes or other characters: then use
     * {@link #relay}).
     */
    public static byte[] relayUtf8(Inbound msg, String fromPeerId, String targetPeerId, String networkName, long now,
                                   RouteInfo route) {
        String type = msg.type();
        if (!isAsciiPlain(type) || !isAsciiPlain(fromPeerId) || !isAsciiPlain(networkName)
                || (targetPeerId != null && !isAsciiPlain(targetPeerId)) || now < 0) {
            return null;
        }
        int routeLength = routeLength(route);
        if (routeLength < 0) {
            return null;
        }
        int digits = digits(now);
        int len = FRAME_HEADROOM + TYPE.length + type.length() + 1 + (msg.hasData() ? DATA.length + msg.dataLength() : 0)
                + FROM.length + fromPeerId.length() + 1
                + (targetPeerId == null ? 0 : TARGET.length + targetPeerId.length() + 1)
                + NETWORK.length + networkName.length() + 1 + TIMESTAMP.length + digits + routeLength + 1;
        byte[] b = new byte[len];
        int at = put(b, FRAME_HEADROOM, TYPE);
        at = putQuoted(b, at, type);
        if (msg.hasData()) {
            at = put(b, at, DATA);
            msg.copyData(b, at);
            at += msg.dataLength();
        }
        at = put(b, at, FROM);
        at = putQuoted(b, at, fromPeerId);
        if (targetPeerId != null) {
            at = put(b, at, TARGET);
            at = putQuoted(b, at, targetPeerId);
        }
        at = put(b, at, NETWORK);
        at = putQuoted(b, at, networkName);
        at = put(b, at, TIMESTAMP);
        at = putNumber(b, at, now, digits);
        if (route != null) {
            at = route.originHub() == null ? at : putQuoted(b, put(b, at, ORIGIN_HUB), route.originHub());
            at = route.msgId() == null ? at : putQuoted(b, put(b, at, MSG_ID), route.msgId());
            at = route.ttl() < 0 ? at : putNumber(b, put(b, at, TTL), route.ttl(), digits(route.ttl()));
            at = route.seq() < 0 ? at : putNumber(b, put(b, at, SEQ), route.seq(), digits(route.seq()));
            at = route.targetHub() == null ? at : putQuoted(b, put(b, at, TARGET_HUB), route.targetHub());
        }
        b[at] = '}';
        return b;
    }

    /** The bytes {@link #appendRoute} writes for {@code route}; -1 when a field is not plain ASCII. */
    private static int routeLength(RouteInfo route) {
        if (route == null) {
            return 0;
        }
        int origin = quotedField(ORIGIN_HUB, route.originHub());
        int msgId = quotedField(MSG_ID, route.msgId());
        int targetHub = quotedField(TARGET_HUB, route.targetHub());
        if (origin < 0 || msgId < 0 || targetHub < 0) {
            return -1;
        }
        return origin + msgId + targetHub + (route.ttl() < 0 ? 0 : TTL.length + digits(route.ttl()))
                + (route.seq() < 0 ? 0 : SEQ.length + digits(route.seq()));
    }

    /** The bytes of {@code ,"name":"value"} after {@code key}: 0 for a null value, -1 when it is not plain ASCII. */
    private static int quotedField(byte[] key, String value) {
        return value == null ? 0 : isAsciiPlain(value) ? key.length + value.length() + 1 : -1;
    }

    /** Writes {@code v}, which has {@code digits} digits (counted already, for the array's length). */
    private static int putNumber(byte[] b, int at, long v, int digits) {
        for (int i = at + digits - 1; i >= at; i--, v /= 10) {
            b[i] = (byte) ('0' + v % 10);
        }
        return at + digits;
    }

    private static final byte[] TYPE = ascii("{\"type\":\"");
    private static final byte[] DATA = ascii(",\"data\":");
    private static final byte[] FROM = ascii(",\"fromPeerId\":\"");
    private static final byte[] TARGET = ascii(",\"targetPeerId\":\"");
    private static final byte[] NETWORK = ascii(",\"networkName\":\"");
    private static final byte[] TIMESTAMP = ascii(",\"timestamp\":");
    private static final byte[] ORIGIN_HUB = ascii(",\"originHub\":\"");
    private static final byte[] MSG_ID = ascii(",\"msgId\":\"");
    private static final byte[] TTL = ascii(",\"ttl\":");
    private static final byte[] SEQ = ascii(",\"seq\":");
    private static final byte[] TARGET_HUB = ascii(",\"targetHub\":\"");

    static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Printable ASCII with nothing to escape in a JSON string: its chars are its UTF-8 bytes, as they are. */
    private static boolean isAsciiPlain(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    private static int digits(long v) {
        int d = 1;
        for (long p = 10; d < 19 && v >= p; p *= 10) {
            d++;
        }
        return d;
    }

    private static int put(byte[] b, int at, byte[] bytes) {
        System.arraycopy(bytes, 0, b, at, bytes.length);
        return at + bytes.length;
    }

    @SuppressWarnings("deprecation") // the low byte of each char in one arraycopy: exact for the plain ASCII checked above
    private static int putQuoted(byte[] b, int at, String plain) {
        plain.getBytes(0, plain.length(), b, at);
        at += plain.length();
        b[at] = '"';
        return at + 1;
    }

    /**
     * A server notice ({@code peer-discovered}, {@code peer-disconnected}) in the reference's key order
     * {@code type,data,networkName,fromPeerId,targetPeerId,timestamp}. {@code data} is JSON text.
     */
    public static String notice(String type, String data, String networkName, String targetPeerId, long now,
                                RouteInfo route) {
        StringBuilder sb = new StringBuilder(96 + data.length());
        sb.append("{\"type\":");
        quote(sb, type);
        sb.append(",\"data\":").append(data);
        sb.append(",\"networkName\":");
        quote(sb, networkName);
        sb.append(",\"fromPeerId\":\"system\"");
        if (targetPeerId != null) {
            sb.append(",\"targetPeerId\":");
            quote(sb, targetPeerId);
        }
        sb.append(",\"timestamp\":").append(now);
        appendRoute(sb, route);
        return sb.append('}').toString();
    }

    /** {@code {"type":"pong","data":{"timestamp":t},"fromPeerId":"system","targetPeerId":id,"timestamp":t}} */
    public static String pong(String targetPeerId, long now) {
        StringBuilder sb = new StringBuilder(128);
        sb.append("{\"type\":\"pong\",\"data\":{\"timestamp\":").append(now)
                .append("},\"fromPeerId\":\"system\",\"targetPeerId\":");
        quote(sb, targetPeerId).append(",\"timestamp\":").append(now).append('}');
        return sb.toString();
    }

    /**
     * An {@code error} reply. Unlike the reference it carries the sender's network, so that a client in
     * a non-global network does not drop it.
     */
    public static String error(String message, String networkName, long now) {
        StringBuilder sb = new StringBuilder(96 + message.length());
        sb.append("{\"type\":\"error\",\"error\":");
        quote(sb, message);
        if (networkName != null) {
            sb.append(",\"networkName\":");
            quote(sb, networkName);
        }
        sb.append(",\"timestamp\":").append(now).append('}');
        return sb.toString();
    }

    /** True when {@code s} encoded as UTF-8 takes at most {@code maxBytes} bytes. O(1) for short strings. */
    public static boolean fitsUtf8(String s, long maxBytes) {
        int n = s.length();
        if (n * 3L <= maxBytes) {
            return true; // a UTF-16 unit never takes more than 3 bytes
        }
        if (n > maxBytes) {
            return false;
        }
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3; // a surrogate pair is 4
            if (bytes > maxBytes) {
                return false;
            }
        }
        return true;
    }

    private static void appendRoute(StringBuilder sb, RouteInfo route) {
        if (route == null) {
            return;
        }
        if (route.originHub() != null) {
            sb.append(",\"originHub\":");
            quote(sb, route.originHub());
        }
        if (route.msgId() != null) {
            sb.append(",\"msgId\":");
            quote(sb, route.msgId());
        }
        if (route.ttl() >= 0) {
            sb.append(",\"ttl\":").append(route.ttl());
        }
        if (route.seq() >= 0) {
            sb.append(",\"seq\":").append(route.seq());
        }
        if (route.targetHub() != null) {
            sb.append(",\"targetHub\":");
            quote(sb, route.targetHub());
        }
    }
}

package dev.peerpigeon.protocol;

import java.nio.charset.StandardCharsets;

/**
 * A strict, allocation-light JSON reader for the envelope, over the frame's UTF-8 bytes: it decodes the few top-level
 * fields the server needs and validates everything else in place, so {@code data} can be relayed as the exact bytes
 * the client sent (no tree, no re-serialisation, no String of the message). Depth is bounded; errors carry a
 * position (in bytes from the start of the text). The bytes must be valid UTF-8 ({@link TextFrame}'s contract), so
 * only JSON's own rules are checked here. One instance per frame; not thread-safe.
 */
final class JsonScanner {
    private final byte[] b;
    /** Where the text starts in {@link #b} (positions in errors count from here) and where it ends. */
    private final int start;
    private final int n;
    private int i;
    /** Whether the string {@link #skipString} last skipped had an escape. */
    private boolean escaped;

    /** The envelope fields read, by index: {@link #fieldName} matches them without making a String per key. */
    private static final String[] FIELD_NAMES = {"type", "networkName", "targetPeerId", "fromPeerId", "originHub", "msgId",
            "targetHub", "data", "ttl", "seq"};
    private static final byte[][] FIELDS = ascii(FIELD_NAMES);
    private static final int TYPE = 0, NETWORK_NAME = 1, TARGET_PEER_ID = 2, FROM_PEER_ID = 3, ORIGIN_HUB = 4, MSG_ID = 5,
            TARGET_HUB = 6, DATA = 7, TTL = 8, SEQ = 9;
    /** The types of nearly every frame, returned as these constants instead of a new String each. */
    private static final String[] COMMON_TYPES = {"offer", "answer", "ice-candidate", "ping", "announce", "goodbye",
            "peer-discovered", "peer-disconnected", "signal"};
    private static final byte[][] COMMON_TYPE_BYTES = ascii(COMMON_TYPES);

    /** Vouched for by the transport: every byte is printable ASCII, so only quotes and escapes need finding. */
    private final boolean printable;

    JsonScanner(byte[] b, int offset, int length, boolean printable) {
        this.b = b;
        this.start = offset;
        this.n = offset + length;
        this.i = offset;
        this.printable = printable;
    }

    Inbound parseEnvelope() throws ProtocolException {
        skipWs();
        if (i >= n) {
            throw invalid("empty message");
        }
        if (b[i] != '{') {
            skipValue(0);
            skipWs();
            if (i < n) {
                throw invalid("trailing data after the message");
            }
            throw new ProtocolException("Message must be a JSON object");
        }
        i++;
        String type = null;
        String networkName = null;
        String target = null;
        String from = null;
        int dataStart = -1;
        int dataEnd = -1;
        String originHub = null;
        String msgId = null;
        String targetHub = null;
        int ttl = -1;
        long seq = -1;
        skipWs();
        if (peek() == '}') {
            i++;
        } else {
            while (true) {
                skipWs();
                if (peek() != '"') {
                    throw invalid("expected a field name");
                }
                int field = fieldName();
                skipWs();
                expect(':');
                skipWs();
                switch (field) {
                    case TYPE -> type = typeField();
                    case NETWORK_NAME -> networkName = stringField("networkName");
                    case TARGET_PEER_ID -> target = stringField("targetPeerId");
                    case FROM_PEER_ID -> from = stringField("fromPeerId");
                    case ORIGIN_HUB -> originHub = stringField("originHub");
                    case MSG_ID -> msgId = stringField("msgId");
                    case TARGET_HUB -> targetHub = stringField("targetHub");
                    case DATA -> {
                        dataStart = i;
                        skipValue(1);
                        dataEnd = i;
                    }
                    case TTL -> ttl = (int) Math.max(-1, Math.min(Integer.MAX_VALUE, longField("ttl")));
                    case SEQ -> seq = longField("seq");
                    default -> skipValue(1);
                }
                skipWs();
                byte c = peek();
                i++;
                if (c == '}') {
                    break;
                }
                if (c != ',') {
                    throw invalid("expected ',' or '}'");
                }
            }
        }
        skipWs();
        if (i < n) {
            throw invalid("trailing data after the message");
        }
        RouteInfo route = (originHub != null || msgId != null) ? new RouteInfo(originHub, msgId, ttl, seq, targetHub) : null;
        return new Inbound(type, networkName, target, from, route, b, dataStart, dataEnd);
    }

    /** The end of the value at {@code from}, validated ({@link AnnounceData} reads an object member by member). */
    int valueEnd(int from) throws ProtocolException {
        i = from;
        skipValue(1);
        return i;
    }

    /** The string at {@code from}, decoded; it ends where {@link #valueEnd} says. */
    String stringAt(int from) throws ProtocolException {
        i = from;
        return readString();
    }

    /** The type, as one of {@link #COMMON_TYPES} when it is one. */
    private String typeField() throws ProtocolException {
        if (peek() != '"') {
            return stringField("type");
        }
        int open = i;
        int quote = skipString();
        int t = escaped ? -1 : indexIn(COMMON_TYPE_BYTES, open, quote);
        return t >= 0 ? COMMON_TYPES[t] : stringOf(open, quote);
    }

    private String stringField(String name) throws ProtocolException {
        byte c = peek();
        if (c == '"') {
            return readString();
        }
        if (c == 'n' && matches(NULL)) {
            i += 4;
            return null;
        }
        skipValue(1);
        throw new ProtocolException("Field '" + name + "' must be a string");
    }

    private long longField(String name) throws ProtocolException {
        int from = i;
        byte c = peek();
        if (c != '-' && (c < '0' || c > '9')) {
            skipValue(1);
            throw new ProtocolException("Field '" + name + "' must be a number");
        }
        skipNumber();
        int k = b[from] == '-' ? from + 1 : from;
        if (i - k <= 18) { // no overflow possible: read here, without a String
            long v = 0;
            for (; k < i && b[k] >= '0' && b[k] <= '9'; k++) {
                v = v * 10 + (b[k] - '0');
            }
            if (k == i) {
                return b[from] == '-' ? -v : v;
            }
        }
        try {
            return Long.parseLong(new String(b, from, i - from, StandardCharsets.ISO_8859_1));
        } catch (NumberFormatException e) {
            throw new ProtocolException("Field '" + name + "' must be an integer");
        }
    }

    private byte peek() throws ProtocolException {
        if (i >= n) {
            throw invalid("unexpected end of data");
        }
        return b[i];
    }

    private void expect(char c) throws ProtocolException {
        if (peek() != c) {
            throw invalid("expected '" + c + "'");
        }
        i++;
    }

    private void skipWs() {
        while (i < n && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) {
            i++;
        }
    }

    private void skipValue(int depth) throws ProtocolException {
        if (depth > MessageCodec.MAX_NESTING) {
            throw invalid("nesting deeper than " + MessageCodec.MAX_NESTING + " levels");
        }
        byte c = peek();
        switch (c) {
            case '{' -> skipMembers(depth, '}');
            case '[' -> skipMembers(depth, ']');
            case '"' -> skipString();
            case 't' -> literal(TRUE);
            case 'f' -> literal(FALSE);
            case 'n' -> literal(NULL);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    skipNumber();
                } else {
                    throw invalid("unexpected character '" + printable(c) + "'");
                }
            }
        }
    }

    /** An object's members ({@code close} is '}') or an array's elements (']'), after the opening bracket at i. */
    private void skipMembers(int depth, char close) throws ProtocolException {
        i++;
        skipWs();
        if (peek() == close) {
            i++;
            return;
        }
        while (true) {
            skipWs();
            if (close == '}') {
                if (peek() != '"') {
                    throw invalid("expected a field name");
                }
                skipString();
                skipWs();
                expect(':');
                skipWs();
            }
            skipValue(depth + 1);
            skipWs();
            byte d = peek();
            i++;
            if (d == close) {
                return;
            }
            if (d != ',') {
                throw invalid("expected ',' or '" + close + "'");
            }
        }
    }

    private static final byte[] TRUE = MessageCodec.ascii("true"), FALSE = MessageCodec.ascii("false"), NULL = MessageCodec.ascii("null");

    private boolean matches(byte[] word) {
        return n - i >= word.length && equalsAt(word, i, i + word.length);
    }

    private void literal(byte[] word) throws ProtocolException {
        if (!matches(word)) {
            throw invalid("unexpected literal");
        }
        i += word.length;
    }

    /** True when {@code b[from, to)} holds exactly {@code word}. */
    private boolean equalsAt(byte[] word, int from, int to) {
        return word.length == to - from && java.util.Arrays.equals(b, from, to, word, 0, word.length);
    }

    private void skipNumber() throws ProtocolException {
        if (i < n && b[i] == '-') {
            i++;
        }
        if (i >= n) {
            throw invalid("bad number");
        }
        if (b[i] == '0') {
            i++;
        } else if (digits() == 0) {
            throw invalid("bad number");
        }
        if (i < n && b[i] == '.') {
            i++;
            if (digits() == 0) {
                throw invalid("bad number");
            }
        }
        if (i < n && (b[i] == 'e' || b[i] == 'E')) {
            i++;
            if (i < n && (b[i] == '+' || b[i] == '-')) {
                i++;
            }
            if (digits() == 0) {
                throw invalid("bad number");
            }
        }
    }

    private int digits() {
        int from = i;
        while (i < n && b[i] >= '0' && b[i] <= '9') {
            i++;
        }
        return i - from;
    }

    /**
     * Skips the string whose opening quote is at {@code i} and returns the index of its closing quote; sets
     * {@link #escaped}. The quotes, backslashes and (unless the text is vouched printable) control characters are
     * found 8 bytes at a time ({@link ByteScan#stringStop}). An error is left to {@link #scanString}, which says where.
     */
    private int skipString() throws ProtocolException {
        int open = i;
        int k = open + 1;
        boolean escapes = false;
        while (true) {
            k = ByteScan.stringStop(b, k, n, printable);
            if (k >= n || (b[k] != '"' && b[k] != '\\')) {
                break; // unterminated, or a control character
            }
            if (b[k] == '"') {
                i = k + 1;
                escaped = escapes;
                return k;
            }
            escapes = true;
            i = k + 1;
            escape(null);
            k = i;
        }
        i = open;
        return scanString(null);
    }

    /**
     * The exact byte-by-byte reading of the string at {@code i} (its opening quote): decodes it into {@code sb}
     * when not null (the bytes between escapes as UTF-8: a backslash never splits a sequence), reports the first
     * error with its position, and returns the index of the closing quote.
     */
    private int scanString(StringBuilder sb) throws ProtocolException {
        i++; // opening quote
        escaped = true; // conservatively: only decoding callers and errors come here
        int run = i;
        while (true) {
            if (i >= n) {
                throw invalid("unterminated string");
            }
            byte c = b[i];
            if (c == '"' || c == '\\') {
                if (sb != null && i > run) {
                    sb.append(new String(b, run, i - run, StandardCharsets.UTF_8));
                }
                i++;
                if (c == '"') {
                    return i - 1;
                }
                escape(sb);
                run = i;
            } else if (c >= 0 && c < 0x20) {
                throw invalid("control character in string");
            } else {
                i++;
            }
        }
    }

    private String readString() throws ProtocolException {
        return stringOf(i, skipString());
    }

    /** The value of the string from {@code open} to {@code quote}, already skipped (and the scan after it). */
    private String stringOf(int open, int quote) throws ProtocolException {
        if (!escaped) {
            return new String(b, open + 1, quote - open - 1, printable ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
        }
        i = open;
        StringBuilder sb = new StringBuilder(quote - open);
        scanString(sb);
        return sb.toString();
    }

    /** Reads a field name and returns its index in {@link #FIELDS}, or -1: compared in place, no String made. */
    private int fieldName() throws ProtocolException {
        int open = i;
        int quote = skipString();
        return escaped ? java.util.Arrays.asList(FIELD_NAMES).indexOf(stringOf(open, quote)) : indexIn(FIELDS, open, quote);
    }

    /** The index in {@code table} of the bytes {@code (open, quote)}, or -1. */
    private int indexIn(byte[][] table, int open, int quote) {
        for (int t = 0; t < table.length; t++) {
            if (equalsAt(table[t], open + 1, quote)) {
                return t;
            }
        }
        return -1;
    }

    private void escape(StringBuilder sb) throws ProtocolException {
        if (i >= n) {
            throw invalid("unterminated escape");
        }
        byte e = b[i++];
        char out;
        switch (e) {
            case '"', '\\', '/' -> out = (char) e;
            case 'b' -> out = '\b';
            case 'f' -> out = '\f';
            case 'n' -> out = '\n';
            case 'r' -> out = '\r';
            case 't' -> out = '\t';
            case 'u' -> {
                if (i + 4 > n) {
                    throw invalid("bad unicode escape");
                }
                int v = 0;
                for (int k = 0; k < 4; k++) {
                    int d = Character.digit(b[i++], 16); // a byte: ASCII hex digits only (not other scripts' digits)
                    if (d < 0) {
                        throw invalid("bad unicode escape");
                    }
                    v = (v << 4) | d;
                }
                out = (char) v;
            }
            default -> throw invalid("bad escape '\\\\" + printable(e) + "'");
        }
        if (sb != null) {
            sb.append(out);
        }
    }

    private static String printable(byte c) {
        return c < 0x20 || c > 0x7e ? String.format("\\\\u%04x", c & 0xff) : String.valueOf((char) c);
    }

    private ProtocolException invalid(String what) {
        return new ProtocolException("Invalid JSON: " + what + " at position " + (i - start));
    }

    private static byte[][] ascii(String... words) {
        return java.util.Arrays.stream(words).map(MessageCodec::ascii).toArray(byte[][]::new);
    }
}

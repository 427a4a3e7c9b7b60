package dev.peerpigeon.protocol;

/**
 * A strict, allocation-light JSON reader for the envelope: it decodes the few top-level fields the
 * server needs and validates everything else in place, so {@code data} can be relayed as the exact
 * substring the client sent (no tree, no re-serialisation). Depth is bounded; errors carry a position.
 * One instance per frame; not thread-safe.
 */
final class JsonScanner {
    private final String s;
    private final int n;
    private int i;
    /** Set when a string skipped since the last reset had a char outside ASCII. */
    private boolean nonAscii;
    /** Whether the string {@link #skipString} last skipped had an escape. */
    private boolean escaped;
    /**
     * The first backslash at or after {@link #backslashFrom} ({@code n}: none; -1: not looked for yet), so each is
     * found once per frame.
     */
    private int nextBackslash = -1;
    private int backslashFrom;

    /** The envelope fields read, by index: {@link #fieldName} matches them without making a String per key. */
    private static final String[] FIELDS = {"type", "networkName", "targetPeerId", "fromPeerId", "originHub", "msgId",
            "targetHub", "data", "ttl", "seq"};
    private static final int TYPE = 0, NETWORK_NAME = 1, TARGET_PEER_ID = 2, FROM_PEER_ID = 3, ORIGIN_HUB = 4, MSG_ID = 5,
            TARGET_HUB = 6, DATA = 7, TTL = 8, SEQ = 9;

    /** Vouched for by the transport: every char is printable ASCII, so only quotes and escapes need finding. */
    private final boolean printable;

    JsonScanner(String s, boolean printable) {
        this.s = s;
        this.n = s.length();
        this.printable = printable;
    }

    Inbound parseEnvelope() throws ProtocolException {
        skipWs();
        if (i >= n) {
            throw invalid("empty message");
        }
        if (s.charAt(i) != '{') {
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
        boolean dataAscii = true;
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
                    case TYPE -> type = stringField("type");
                    case NETWORK_NAME -> networkName = stringField("networkName");
                    case TARGET_PEER_ID -> target = stringField("targetPeerId");
                    case FROM_PEER_ID -> from = stringField("fromPeerId");
                    case ORIGIN_HUB -> originHub = stringField("originHub");
                    case MSG_ID -> msgId = stringField("msgId");
                    case TARGET_HUB -> targetHub = stringField("targetHub");
                    case DATA -> {
                        dataStart = i;
                        nonAscii = false;
                        skipValue(1);
                        dataEnd = i;
                        dataAscii = !nonAscii;
                    }
                    case TTL -> ttl = (int) Math.max(-1, Math.min(Integer.MAX_VALUE, longField("ttl")));
                    case SEQ -> seq = longField("seq");
                    default -> skipValue(1);
                }
                skipWs();
                char c = peek();
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
        return new Inbound(type, networkName, target, from, route, s, dataStart, dataEnd, dataAscii);
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

    private String stringField(String name) throws ProtocolException {
        char c = peek();
        if (c == '"') {
            return readString();
        }
        if (c == 'n' && s.startsWith("null", i)) {
            i += 4;
            return null;
        }
        skipValue(1);
        throw new ProtocolException("Field '" + name + "' must be a string");
    }

    private long longField(String name) throws ProtocolException {
        int start = i;
        char c = peek();
        if (c != '-' && (c < '0' || c > '9')) {
            skipValue(1);
            throw new ProtocolException("Field '" + name + "' must be a number");
        }
        skipNumber();
        try {
            return Long.parseLong(s.substring(start, i));
        } catch (NumberFormatException e) {
            throw new ProtocolException("Field '" + name + "' must be an integer");
        }
    }

    private char peek() throws ProtocolException {
        if (i >= n) {
            throw invalid("unexpected end of data");
        }
        return s.charAt(i);
    }

    private void expect(char c) throws ProtocolException {
        if (peek() != c) {
            throw invalid("expected '" + c + "'");
        }
        i++;
    }

    private void skipWs() {
        while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == '\n' || s.charAt(i) == '\r' || s.charAt(i) == '\t')) {
            i++;
        }
    }

    private void skipValue(int depth) throws ProtocolException {
        if (depth > MessageCodec.MAX_NESTING) {
            throw invalid("nesting deeper than " + MessageCodec.MAX_NESTING + " levels");
        }
        char c = peek();
        switch (c) {
            case '{' -> {
                i++;
                skipWs();
                if (peek() == '}') {
                    i++;
                    return;
                }
                while (true) {
                    skipWs();
                    if (peek() != '"') {
                        throw invalid("expected a field name");
                    }
                    skipString();
                    skipWs();
                    expect(':');
                    skipWs();
                    skipValue(depth + 1);
                    skipWs();
                    char d = peek();
                    i++;
                    if (d == '}') {
                        return;
                    }
                    if (d != ',') {
                        throw invalid("expected ',' or '}'");
                    }
                }
            }
            case '[' -> {
                i++;
                skipWs();
                if (peek() == ']') {
                    i++;
                    return;
                }
                while (true) {
                    skipWs();
                    skipValue(depth + 1);
                    skipWs();
                    char d = peek();
                    i++;
                    if (d == ']') {
                        return;
                    }
                    if (d != ',') {
                        throw invalid("expected ',' or ']'");
                    }
                }
            }
            case '"' -> skipString();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    skipNumber();
                } else {
                    throw invalid("unexpected character '" + printable(c) + "'");
                }
            }
        }
    }

    private void literal(String word) throws ProtocolException {
        if (!s.startsWith(word, i)) {
            throw invalid("unexpected literal");
        }
        i += word.length();
    }

    private void skipNumber() throws ProtocolException {
        if (i < n && s.charAt(i) == '-') {
            i++;
        }
        if (i >= n) {
            throw invalid("bad number");
        }
        if (s.charAt(i) == '0') {
            i++;
        } else if (digits() == 0) {
            throw invalid("bad number");
        }
        if (i < n && s.charAt(i) == '.') {
            i++;
            if (digits() == 0) {
                throw invalid("bad number");
            }
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            if (digits() == 0) {
                throw invalid("bad number");
            }
        }
    }

    private int digits() {
        int start = i;
        while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        return i - start;
    }

    /**
     * Skips the string whose opening quote is at {@code i} and returns the index of its closing quote; sets
     * {@link #escaped}. The closing quote and the backslashes are found with {@code String.indexOf}, which the JIT
     * vectorises, and the text between them is checked by a branch-free loop (not at all in vouched text): on a 1 KB
     * signal this takes under half the time of a char-by-char scan, which was a third of a hub's CPU under W4. A
     * control character or a missing quote is left to {@link #scanString}, which reports where it is.
     */
    private int skipString() throws ProtocolException {
        int open = i;
        int at = open + 1; // the first char not yet checked
        boolean escapes = false;
        int quote = s.indexOf('"', at);
        while (quote >= 0) {
            if (nextBackslash < at || at < backslashFrom) {
                int b = s.indexOf('\\', at);
                nextBackslash = b < 0 ? n : b;
                backslashFrom = at;
            }
            int end = Math.min(quote, nextBackslash);
            if (!printable) {
                int lowest = 0;
                int all = 0;
                for (int k = at; k < end; k++) {
                    char c = s.charAt(k);
                    lowest |= c - 0x20; // negative once a control character was seen
                    all |= c;
                }
                if (lowest < 0) {
                    break;
                }
                if (all >= 0x80) {
                    nonAscii = true;
                }
            }
            if (end == quote) {
                i = quote + 1;
                escaped = escapes;
                return quote;
            }
            escapes = true;
            i = end + 1;
            escape(null);
            at = i;
            if (at > quote) {
                quote = s.indexOf('"', at); // that quote was escaped
            }
        }
        i = open;
        return scanString(null);
    }

    /**
     * The exact char-by-char reading of the string at {@code i} (its opening quote): decodes it into {@code sb}
     * when not null, reports the first error with its position, and returns the index of the closing quote.
     */
    private int scanString(StringBuilder sb) throws ProtocolException {
        i++; // opening quote
        escaped = true; // conservatively: only decoding callers and errors come here
        while (true) {
            if (i >= n) {
                throw invalid("unterminated string");
            }
            char c = s.charAt(i++);
            if (c == '"') {
                return i - 1;
            }
            if (c == '\\') {
                escape(sb);
            } else if (c < 0x20) {
                throw invalid("control character in string");
            } else {
                if (c >= 0x80) {
                    nonAscii = true;
                }
                if (sb != null) {
                    sb.append(c);
                }
            }
        }
    }

    private String readString() throws ProtocolException {
        int open = i;
        int quote = skipString();
        return escaped ? decodeString(open, quote) : s.substring(open + 1, quote);
    }

    /**
     * The value of the string from {@code open} to {@code quote}, already skipped, with its escapes decoded; the
     * scan ends where the skip did, after {@code quote}.
     */
    private String decodeString(int open, int quote) throws ProtocolException {
        i = open;
        StringBuilder sb = new StringBuilder(quote - open);
        scanString(sb);
        return sb.toString();
    }

    /** Reads a field name and returns its index in {@link #FIELDS}, or -1: compared in place, no String made. */
    private int fieldName() throws ProtocolException {
        int open = i;
        int quote = skipString();
        if (escaped) {
            return java.util.Arrays.asList(FIELDS).indexOf(decodeString(open, quote));
        }
        for (int f = 0; f < FIELDS.length; f++) {
            if (FIELDS[f].length() == quote - open - 1 && s.startsWith(FIELDS[f], open + 1)) {
                return f;
            }
        }
        return -1;
    }

    private void escape(StringBuilder sb) throws ProtocolException {
        if (i >= n) {
            throw invalid("unterminated escape");
        }
        char e = s.charAt(i++);
        char out;
        switch (e) {
            case '"', '\\', '/' -> out = e;
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
                    char h = s.charAt(i++);
                    // ASCII only: Character.digit also takes other scripts' digits (U+0660, U+FF10...), which a
                    // JSON parser refuses and which the bytes relay would have cut to their low byte.
                    int d = h < 0x80 ? Character.digit(h, 16) : -1;
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

    private static String printable(char c) {
        return c < 0x20 || c > 0x7e ? String.format("\\\\u%04x", (int) c) : String.valueOf(c);
    }

    private ProtocolException invalid(String what) {
        return new ProtocolException("Invalid JSON: " + what + " at position " + i);
    }
}

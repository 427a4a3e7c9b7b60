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

    JsonScanner(String s) {
        this.s = s;
        this.n = s.length();
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
                String key = readString();
                skipWs();
                expect(':');
                skipWs();
                switch (key) {
                    case "type" -> type = stringField("type");
                    case "networkName" -> networkName = stringField("networkName");
                    case "targetPeerId" -> target = stringField("targetPeerId");
                    case "fromPeerId" -> from = stringField("fromPeerId");
                    case "originHub" -> originHub = stringField("originHub");
                    case "msgId" -> msgId = stringField("msgId");
                    case "targetHub" -> targetHub = stringField("targetHub");
                    case "data" -> {
                        dataStart = i;
                        nonAscii = false;
                        skipValue(1);
                        dataEnd = i;
                        dataAscii = !nonAscii;
                    }
                    case "ttl" -> ttl = (int) Math.max(-1, Math.min(Integer.MAX_VALUE, longField("ttl")));
                    case "seq" -> seq = longField("seq");
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
        while (i < n) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return;
            }
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

    private void skipString() throws ProtocolException {
        i++; // opening quote
        while (true) {
            if (i >= n) {
                throw invalid("unterminated string");
            }
            char c = s.charAt(i++);
            if (c == '"') {
                return;
            }
            if (c == '\\') {
                escape(null);
            } else if (c < 0x20) {
                throw invalid("control character in string");
            } else if (c >= 0x80) {
                nonAscii = true;
            }
        }
    }

    private String readString() throws ProtocolException {
        int start = ++i;
        // Fast path: no escapes.
        while (i < n) {
            char c = s.charAt(i);
            if (c == '"') {
                return s.substring(start, i++);
            }
            if (c == '\\' || c < 0x20) {
                break;
            }
            i++;
        }
        StringBuilder sb = new StringBuilder(s.length() - start);
        sb.append(s, start, i);
        while (true) {
            if (i >= n) {
                throw invalid("unterminated string");
            }
            char c = s.charAt(i++);
            if (c == '"') {
                return sb.toString();
            }
            if (c == '\\') {
                escape(sb);
            } else if (c < 0x20) {
                throw invalid("control character in string");
            } else {
                sb.append(c);
            }
        }
    }

    private void escape(StringBuilder sb) throws ProtocolException {
        if (i >= n) {
            throw invalid("unterminated escape");
        }
        char e = s.charAt(i++);
        char out;
        switch (e) {
            case '"' -> out = '"';
            case '\\' -> out = '\\';
            case '/' -> out = '/';
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
                    int d = Character.digit(s.charAt(i++), 16);
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

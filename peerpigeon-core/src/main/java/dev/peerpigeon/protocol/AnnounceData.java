package dev.peerpigeon.protocol;

import java.nio.charset.StandardCharsets;

/**
 * An announce's {@code data} object, read in place: whether it says {@code "isHub": true}, and its members other
 * than {@code peerId} and {@code isHub} as the client wrote them, for the discovery data others receive. No tree
 * and no re-serialisation (a Gson parse and two writes per announce were a fifth of what a join allocated, and
 * among the costliest first compilations of a cold server). Immutable.
 */
public final class AnnounceData {
    private static final AnnounceData EMPTY = new AnnounceData("{}", false, "");

    private final String json;
    private final boolean hubFlag;
    /** The members kept for discovery, comma-separated, each {@code "key":value} as sent; "" for none. */
    private final String kept;

    private AnnounceData(String json, boolean hubFlag, String kept) {
        this.json = json;
        this.hubFlag = hubFlag;
        this.kept = kept;
    }

    /**
     * Reads {@code data}: the JSON text of an announce's data field (null or {@code null}: no data). Anything but an
     * object is a {@link ProtocolException}. For {@code isHub} given twice the last value counts, as in
     * {@code JSON.parse}; any other key given twice is passed on twice, as sent (a browser's {@code JSON.parse} then
     * also takes the last).
     */
    public static AnnounceData parse(String data) throws ProtocolException {
        if (data == null || data.equals("null")) {
            return EMPTY;
        }
        byte[] b = data.getBytes(StandardCharsets.UTF_8);
        JsonScanner scanner = new JsonScanner(b, 0, b.length, false);
        int i = nonBlank(b, 0);
        if (i >= b.length || b[i] != '{') {
            throw new ProtocolException("Field 'data' of announce must be an object");
        }
        int end = scanner.valueEnd(i);
        if (nonBlank(b, end) != b.length) {
            throw new ProtocolException("Invalid JSON: trailing data after the announce data at position " + end);
        }
        boolean hubFlag = false;
        byte[] kept = new byte[b.length];
        int keptLength = 0;
        i = nonBlank(b, i + 1);
        while (b[i] == '"') { // the scan above validated the object: only its members' bounds are read here
            int keyEnd = scanner.valueEnd(i);
            String key = scanner.stringAt(i); // a key with escapes counts as its decoded text
            int value = nonBlank(b, nonBlank(b, keyEnd) + 1); // after the colon
            int valueEnd = scanner.valueEnd(value);
            if (key.equals("isHub")) {
                hubFlag = b[value] == 't';
            } else if (!key.equals("peerId")) {
                if (keptLength > 0) {
                    kept[keptLength++] = ',';
                }
                keptLength = append(kept, keptLength, b, i, keyEnd);
                kept[keptLength++] = ':';
                keptLength = append(kept, keptLength, b, value, valueEnd);
            }
            i = nonBlank(b, nonBlank(b, valueEnd) + 1); // after the comma, or past the closing brace
            if (i >= b.length) {
                break;
            }
        }
        return new AnnounceData(data, hubFlag, new String(kept, 0, keptLength, StandardCharsets.UTF_8));
    }

    private static int append(byte[] dst, int at, byte[] src, int from, int to) {
        System.arraycopy(src, from, dst, at, to - from);
        return at + to - from;
    }

    /** The object as the client sent it ({@code {}} when there was none). */
    public String json() {
        return json;
    }

    /** True when the data says {@code "isHub": true}. */
    public boolean isHub() {
        return hubFlag;
    }

    /** {@code {"peerId":id,"isHub":b,...the other members}}: the server's values win over the data's. */
    public String discovery(String peerId, boolean isHub) {
        StringBuilder sb = new StringBuilder(40 + peerId.length() + kept.length());
        MessageCodec.quote(sb.append("{\"peerId\":"), peerId).append(",\"isHub\":").append(isHub);
        if (!kept.isEmpty()) {
            sb.append(',').append(kept);
        }
        return sb.append('}').toString();
    }

    private static int nonBlank(byte[] b, int i) {
        while (i < b.length && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r')) { // JSON's whitespace
            i++;
        }
        return i;
    }
}

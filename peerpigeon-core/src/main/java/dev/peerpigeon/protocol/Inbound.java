package dev.peerpigeon.protocol;

/**
 * One parsed inbound frame. Only the envelope fields the server needs are decoded; {@code data} is
 * kept as its place in the frame's text, so it can be relayed without building a tree, and without a copy of its
 * own when nobody asks for it as a string ({@link MessageCodec#relayUtf8} copies it straight into the outgoing
 * frame).
 *
 * <p>Threads: one frame, one thread (the one that parsed it); {@link #data()} caches its substring unsynchronised.
 */
public final class Inbound {
    private final String type;
    private final String networkName;
    private final String targetPeerId;
    private final String fromPeerId;
    private final RouteInfo route;
    private final String source;
    private final int dataStart;
    private final int dataEnd;
    private final boolean dataAscii;
    private String data;

    Inbound(String type, String networkName, String targetPeerId, String fromPeerId, RouteInfo route,
            String source, int dataStart, int dataEnd, boolean dataAscii) {
        this.type = type;
        this.networkName = networkName;
        this.targetPeerId = targetPeerId;
        this.fromPeerId = fromPeerId;
        this.route = route;
        this.source = source;
        this.dataStart = dataStart;
        this.dataEnd = dataEnd;
        this.dataAscii = dataAscii;
    }

    /** The {@code type} field, or null when absent. */
    public String type() {
        return type;
    }

    /** The {@code networkName} field, or null when absent. */
    public String networkName() {
        return networkName;
    }

    /** The {@code targetPeerId} field, or null when absent. */
    public String targetPeerId() {
        return targetPeerId;
    }

    /** The {@code fromPeerId} field (trusted only on hub links), or null. */
    public String fromPeerId() {
        return fromPeerId;
    }

    /** Federation routing fields of Java hubs, or null when absent. */
    public RouteInfo route() {
        return route;
    }

    /** Compact JSON text of {@code data} exactly as the client sent it, or null when absent. */
    public String data() {
        if (data == null && dataStart >= 0) {
            data = source.substring(dataStart, dataEnd);
        }
        return data;
    }

    boolean hasData() {
        return dataStart >= 0;
    }

    /** Length of {@code data}'s text in chars (equal to its UTF-8 bytes when {@link #dataIsAscii()}). */
    int dataLength() {
        return dataEnd - dataStart;
    }

    /** True when {@code data} has no character outside ASCII, so its chars are its UTF-8 bytes. */
    boolean dataIsAscii() {
        return dataAscii;
    }

    /** Copies {@code data}'s ASCII chars into {@code dst} at {@code at}; only when {@link #dataIsAscii()}. */
    @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): the low byte of each char, one arraycopy for
    // a compact string; exactly UTF-8 for ASCII, which is the only case it is used for
    void copyAsciiData(byte[] dst, int at) {
        source.getBytes(dataStart, dataEnd, dst, at);
    }
}

package dev.peerpigeon.protocol;

/**
 * One parsed inbound frame. Only the envelope fields the server needs are decoded; {@code data} is
 * kept as its place in the frame's bytes, so it can be relayed without building a tree, and without a copy of its
 * own when nobody asks for it as a string ({@link MessageCodec#relayUtf8} copies it straight into the outgoing
 * frame).
 *
 * <p>Like the {@link TextFrame} it was parsed from, valid only during the call that handed the frame over (its
 * {@code data} is read from the frame's bytes): take Strings from it, never keep it. Threads: one frame, one thread
 * (the one that parsed it); {@link #data()} caches its String unsynchronised.
 */
public final class Inbound {
    private final String type;
    private final String networkName;
    private final String targetPeerId;
    private final String fromPeerId;
    private final RouteInfo route;
    private final byte[] source;
    private final int dataStart;
    private final int dataEnd;
    private String data;

    Inbound(String type, String networkName, String targetPeerId, String fromPeerId, RouteInfo route,
            byte[] source, int dataStart, int dataEnd) {
        this.type = type;
        this.networkName = networkName;
        this.targetPeerId = targetPeerId;
        this.fromPeerId = fromPeerId;
        this.route = route;
        this.source = source;
        this.dataStart = dataStart;
        this.dataEnd = dataEnd;
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

    /** JSON text of {@code data} exactly as the client sent it, or null when absent. */
    public String data() {
        if (data == null && dataStart >= 0) {
            data = new String(source, dataStart, dataEnd - dataStart, java.nio.charset.StandardCharsets.UTF_8);
        }
        return data;
    }

    boolean hasData() {
        return dataStart >= 0;
    }

    /** Length of {@code data}'s UTF-8 bytes. */
    int dataLength() {
        return dataEnd - dataStart;
    }

    /** Copies {@code data}'s bytes, as they came, into {@code dst} at {@code at}. */
    void copyData(byte[] dst, int at) {
        System.arraycopy(source, dataStart, dst, at, dataEnd - dataStart);
    }
}

package dev.peerpigeon.bench;

import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/** One simulated PeerPigeon client for load tests; sends the real client's frame shapes. */
final class LoadPeer {
    final String peerId;
    final String network;
    private final BiConsumer<LoadPeer, byte[]> onFrame;
    volatile NioWsClient.Conn conn;
    volatile long connectStartNanos;
    volatile long openNanos;
    volatile boolean closed;
    volatile boolean opened;
    /** Touched only by the client loop thread. */
    int discovered;
    /** The other peer of its relay pair (W2/W4/W6); set before {@link #connect}. */
    String partnerId;

    LoadPeer(String peerId, String network, BiConsumer<LoadPeer, byte[]> onFrame) {
        this.peerId = peerId;
        this.network = network;
        this.onFrame = onFrame;
    }

    /** Completes when the upgrade succeeded (or exceptionally when it failed). */
    CompletableFuture<LoadPeer> connect(NioWsClient client, String baseUrl, boolean announce) {
        CompletableFuture<LoadPeer> done = new CompletableFuture<>();
        connectStartNanos = System.nanoTime();
        conn = client.connect(URI.create(baseUrl + "/?peerId=" + peerId), c -> {
            openNanos = System.nanoTime();
            opened = true;
            if (announce) {
                announce();
            }
            done.complete(this);
        }, (c, text) -> onFrame.accept(this, text), c -> {
            closed = true;
            done.completeExceptionally(new IllegalStateException("closed"));
        });
        return done;
    }

    void announce() {
        send("{\"type\":\"announce\",\"data\":{\"peerId\":\"" + peerId + "\"},\"maxPeers\":3,\"networkName\":\"" + network + "\"}");
    }

    void signal(String type, String dataJson, String target) {
        send(signalText(type, dataJson, target));
    }

    /** The text of a signal frame from this peer. */
    String signalText(String type, String dataJson, String target) {
        return "{\"type\":\"" + type + "\",\"data\":" + dataJson + ",\"maxPeers\":3,\"networkName\":\"" + network
                + "\",\"targetPeerId\":\"" + target + "\"}";
    }

    void send(String text) {
        NioWsClient.Conn c = conn;
        if (c != null && !closed) {
            c.send(text);
        }
    }

    void close() {
        NioWsClient.Conn c = conn;
        if (c != null) {
            c.close();
        }
    }

    private static final byte[] TYPE = "{\"type\":\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /**
     * The {@code type} of a frame without decoding it: both servers write {@code type} first. Returns ""
     * for frames that do not start that way.
     */
    static String typeOf(byte[] frame) {
        if (frame.length < TYPE.length + 1) {
            return "";
        }
        for (int i = 0; i < TYPE.length; i++) {
            if (frame[i] != TYPE[i]) {
                return "";
            }
        }
        int end = TYPE.length;
        while (end < frame.length && frame[end] != '"') {
            end++;
        }
        return new String(frame, TYPE.length, end - TYPE.length, java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** True when the frame's type is exactly {@code type} (no allocation). */
    static boolean typeIs(byte[] frame, String type) {
        int n = TYPE.length + type.length();
        if (frame.length <= n || frame[n] != '"') {
            return false;
        }
        for (int i = 0; i < TYPE.length; i++) {
            if (frame[i] != TYPE[i]) {
                return false;
            }
        }
        for (int i = 0; i < type.length(); i++) {
            if (frame[TYPE.length + i] != type.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Index just after the first occurrence of {@code key} (ASCII), or -1. */
    static int indexAfter(byte[] frame, String key) {
        outer:
        for (int i = 0; i + key.length() <= frame.length; i++) {
            for (int k = 0; k < key.length(); k++) {
                if (frame[i + k] != key.charAt(k)) {
                    continue outer;
                }
            }
            return i + key.length();
        }
        return -1;
    }

    /** The 40-hex value after {@code key} (e.g. "\"peerId\":\""), or null. */
    static String idAfter(byte[] frame, String key) {
        int i = indexAfter(frame, key);
        if (i < 0 || i + 40 > frame.length) {
            return null;
        }
        return new String(frame, i, 40, java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** The decimal number after {@code key}, or -1. */
    static long longAfter(byte[] frame, String key) {
        int i = indexAfter(frame, key);
        if (i < 0) {
            return -1;
        }
        long v = 0;
        while (i < frame.length && frame[i] >= '0' && frame[i] <= '9') {
            v = v * 10 + (frame[i++] - '0');
        }
        return v;
    }
}

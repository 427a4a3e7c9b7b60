package dev.peerpigeon.examples.bench;

import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/** One simulated PeerPigeon client for load tests; sends the real client's frame shapes. */
final class LoadPeer {
    final String peerId;
    final String network;
    private final BiConsumer<LoadPeer, String> onFrame;
    volatile NioWsClient.Conn conn;
    volatile long connectStartNanos;
    volatile long openNanos;
    volatile boolean closed;
    volatile boolean opened;
    /** Touched only by the client loop thread. */
    int discovered;

    LoadPeer(String peerId, String network, BiConsumer<LoadPeer, String> onFrame) {
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
        send("{\"type\":\"" + type + "\",\"data\":" + dataJson + ",\"maxPeers\":3,\"networkName\":\"" + network
                + "\",\"targetPeerId\":\"" + target + "\"}");
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

    /** The {@code type} of a frame without parsing it (both servers write {@code type} first). */
    static String typeOf(String frame) {
        int i = frame.indexOf("\"type\":\"");
        if (i < 0) {
            return "";
        }
        int start = i + 8;
        int end = frame.indexOf('"', start);
        return end < 0 ? "" : frame.substring(start, end);
    }

    /** The 40-hex value after {@code key} (e.g. "\"peerId\":\""). */
    static String idAfter(String frame, String key) {
        int i = frame.indexOf(key);
        if (i < 0 || i + key.length() + 40 > frame.length()) {
            return null;
        }
        return frame.substring(i + key.length(), i + key.length() + 40);
    }
}

package dev.peerpigeon.bench;

import java.nio.charset.StandardCharsets;

/**
 * Builds the relay workloads' signal frames (offer / answer / ice-candidate with a ~1 KB SDP carrying a send
 * timestamp); stateless, so any thread may call it.
 */
final class SignalFrames {
    private static final String SDP = "v=0 " + "a=candidate:x 1 udp 2122260223 198.18.0.1 5000 typ host ".repeat(16);

    private SignalFrames() {
    }

    /** Sends a signal whose latency is measured from now. */
    static void send(LoadPeer from, String type, String to) {
        send(from, type, to, System.nanoTime());
    }

    /** Sends a signal whose latency is measured from {@code tsNanos} (System.nanoTime of this JVM). */
    static void send(LoadPeer from, String type, String to, long tsNanos) {
        from.send(text(from, type, to, Long.toString(tsNanos)));
    }

    /** The signal frame's text, with {@code ts} as its timestamp. */
    static String text(LoadPeer from, String type, String to, String ts) {
        String sdp = "ts=" + ts + " " + SDP;
        String data = type.equals("ice-candidate")
                ? "{\"candidate\":\"" + sdp + "\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}"
                : "{\"type\":\"" + type + "\",\"sdp\":\"" + sdp + "\"}";
        return from.signalText(type, data, to);
    }

    /**
     * The signal frame's UTF-8 bytes before and after its timestamp digits: the same frame as
     * {@link #send}, for {@link NioWsClient.Conn#sendText(byte[], long, byte[])}.
     */
    static byte[][] template(LoadPeer from, String type, String to) {
        String marker = "#TS#";
        String text = text(from, type, to, marker);
        int at = text.indexOf(marker);
        return new byte[][]{text.substring(0, at).getBytes(StandardCharsets.UTF_8),
                text.substring(at + marker.length()).getBytes(StandardCharsets.UTF_8)};
    }
}

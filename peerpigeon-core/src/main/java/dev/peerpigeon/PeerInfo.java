package dev.peerpigeon;

/**
 * A snapshot of one connected peer, as in the reference's {@code getPeers()}.
 *
 * @param data the announce data as JSON text ({@code "{}"} before the first announce)
 */
public record PeerInfo(String peerId, long connectedAt, long lastActivity, String remoteAddress, boolean connected,
                       boolean announced, long announcedAt, String networkName, String data, boolean isHub) {
}

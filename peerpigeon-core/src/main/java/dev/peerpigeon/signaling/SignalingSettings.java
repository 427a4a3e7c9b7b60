package dev.peerpigeon.signaling;

/**
 * Settings of the signaling core, derived from the server configuration.
 *
 * @param hubMeshNamespace     the namespace whose announces make a connection a hub
 * @param maxNetworkNameLength longest accepted {@code networkName}
 * @param maxAnnounceDataBytes largest accepted announce {@code data} object (JSON text length)
 * @param maxMessagesPerSecond sustained frames per second per client (0: unlimited)
 * @param messageBurst         token bucket size of that limit
 */
public record SignalingSettings(String hubMeshNamespace, int maxNetworkNameLength, int maxAnnounceDataBytes,
                                int maxMessagesPerSecond, int messageBurst) {

    /** Settings with the default limits and no message rate limit (for tests of the core). */
    public SignalingSettings(String hubMeshNamespace, int maxNetworkNameLength, int maxAnnounceDataBytes) {
        this(hubMeshNamespace, maxNetworkNameLength, maxAnnounceDataBytes, 0, 0);
    }
}

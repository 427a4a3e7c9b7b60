package dev.peerpigeon.signaling;

/**
 * Settings of the signaling core, derived from the server configuration.
 *
 * @param hubMeshNamespace     the namespace whose announces make a connection a hub
 * @param maxNetworkNameLength longest accepted {@code networkName}
 * @param maxAnnounceDataBytes largest accepted announce {@code data} object (JSON text length)
 */
public record SignalingSettings(String hubMeshNamespace, int maxNetworkNameLength, int maxAnnounceDataBytes) {
}

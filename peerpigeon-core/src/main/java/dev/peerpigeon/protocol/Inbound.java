package dev.peerpigeon.protocol;

/**
 * One parsed inbound frame. Only the envelope fields the server needs are decoded; {@code data} is
 * kept as its compact JSON text so it can be relayed without building a tree.
 *
 * @param type         the {@code type} field, or null when absent
 * @param networkName  the {@code networkName} field, or null when absent
 * @param targetPeerId the {@code targetPeerId} field, or null when absent
 * @param fromPeerId   the {@code fromPeerId} field (trusted only on hub links), or null
 * @param data         compact JSON text of {@code data}, or null when absent
 * @param route        federation routing fields of Java hubs, or null when absent
 */
public record Inbound(String type, String networkName, String targetPeerId, String fromPeerId, String data,
                      RouteInfo route) {
}

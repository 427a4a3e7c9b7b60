package dev.peerpigeon;

/**
 * A snapshot of the server, with the reference's {@code getStats()} fields.
 *
 * @param connections         registered connections (peers and hubs)
 * @param peers               announced peers that are not hubs
 * @param uptimeMillis        time since start, 0 when not running
 * @param bootstrapTotal      configured outbound hub links
 * @param bootstrapConnected  outbound hub links currently open
 */
public record ServerStats(boolean isRunning, boolean isHub, String hubPeerId, String hubMeshNamespace,
                          int connections, int peers, int hubs, int networks, int bootstrapTotal,
                          int bootstrapConnected, int maxConnections, long uptimeMillis, String host, int port) {
}

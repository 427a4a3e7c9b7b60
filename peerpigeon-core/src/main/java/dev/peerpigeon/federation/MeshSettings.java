package dev.peerpigeon.federation;

import java.net.URI;
import java.util.List;

/**
 * Settings of the hub mesh, derived from the server configuration.
 *
 * @param hubId                the hub's own peer id
 * @param namespace            hub mesh namespace; links announcing another one are refused
 * @param host                 the configured host (used in the announce and the default bootstrap URI)
 * @param secret               shared hub secret, or null
 * @param bootstrap            URIs to dial
 * @param autoConnect          whether to dial at all
 * @param defaultBootstrapPort port of the implicit bootstrap hub when none is configured (0: none)
 * @param reconnectBaseMillis  first redial delay; doubles per failure
 * @param reconnectMaxMillis   cap of the redial delay
 * @param maxReconnectAttempts failures in a row before giving up (0: never)
 * @param maxFrameSize         largest frame accepted on outbound links
 * @param pingMillis           WebSocket ping interval of outbound links
 * @param maxQueuedFrames      per-link send queue bound
 * @param sweepMillis          interval of cache sweeps and reference-hub refreshes
 * @param maxRemotePeers       most remote peers kept in the directory
 * @param handshakeMillis      an outbound dial whose upgrade is not answered within this is abandoned and redialed
 * @param advertiseUri         the address told to other hubs, or null (derived from host, port and scheme)
 * @param tls                  whether this hub serves wss (the derived address's scheme)
 * @param minPeers             direct links the mesh maintenance dials learned hubs for
 * @param maxPeers             links beyond which learned links are dropped (when redundant) or refused
 */
public record MeshSettings(String hubId, String namespace, String host, String secret, List<URI> bootstrap,
                           boolean autoConnect, int defaultBootstrapPort, long reconnectBaseMillis,
                           long reconnectMaxMillis, int maxReconnectAttempts, int maxFrameSize, long pingMillis,
                           int maxQueuedFrames, long sweepMillis, int maxRemotePeers, long handshakeMillis,
                           URI advertiseUri, boolean tls, int minPeers, int maxPeers) {
}

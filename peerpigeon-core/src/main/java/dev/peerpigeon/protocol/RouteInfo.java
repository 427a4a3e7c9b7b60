package dev.peerpigeon.protocol;

/**
 * Routing fields that Java hubs add at the top level of frames on hub links (never inside {@code data},
 * which clients see). Reference hubs ignore unknown top-level fields.
 *
 * @param originHub the hub that first put this frame on the hub mesh
 * @param msgId     unique id of this frame on the hub mesh, for exactly-once delivery
 * @param ttl       remaining hops
 * @param seq       origin sequence number of a directory update, or -1
 * @param targetHub the hub that hosts the signal's target, or null
 */
public record RouteInfo(String originHub, String msgId, int ttl, long seq, String targetHub) {
}

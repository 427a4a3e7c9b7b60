package dev.peerpigeon;

import java.util.Map;

/**
 * A read-only snapshot of the server's meters (the same values {@code GET /metrics} renders). Counters count
 * from the creation of the server object (they survive a restart); gauges are of the current run (0 when
 * stopped). Maps are keyed by the fixed label values (message type, refusal reason, hub link event).
 *
 * @param sendQueueBytes        bytes queued to send, summed over connections
 * @param messagesReceived      client messages received by type (announce, offer, answer, ice-candidate,
 *                              goodbye, ping, other)
 * @param messagesRelayed       client signals handed on to their target, by type
 * @param refusals              refused upgrades and connections by reason
 * @param relayLatencyBuckets   cumulative counts of relays at or below each bound (seconds; the last is +Inf)
 */
public record MetricsSnapshot(long connections, long peers, long networks, long hubLinks, long remotePeers,
                              long sendQueueBytes, Map<String, Long> messagesReceived, Map<String, Long> messagesRelayed,
                              long errorsSent, Map<String, Long> refusals, long slowConsumersDropped,
                              Map<String, Long> hubLinkEvents, Map<Double, Long> relayLatencyBuckets,
                              long relayLatencyCount, double relayLatencySumSeconds) {
    public MetricsSnapshot {
        messagesReceived = Map.copyOf(messagesReceived);
        messagesRelayed = Map.copyOf(messagesRelayed);
        refusals = Map.copyOf(refusals);
        hubLinkEvents = Map.copyOf(hubLinkEvents);
        relayLatencyBuckets = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(relayLatencyBuckets));
    }
}

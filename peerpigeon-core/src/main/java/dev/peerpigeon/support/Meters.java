package dev.peerpigeon.support;

/**
 * What the layers count for {@code /metrics} (the narrow port they see; the registry and the rendering live in
 * {@code runtime.ServerMetrics} and {@code http.MetricsText}). Label values come from fixed sets only, never peer
 * ids. Implementations are lock-free and called from any thread on the hot path.
 */
public interface Meters {
    /** Message types counted by their own label; every other type counts as {@code other}. */
    String[] MESSAGE_TYPES = {"announce", "offer", "answer", "ice-candidate", "goodbye", "ping", "other"};

    /** Why an upgrade or a connection was refused ({@code peerpigeon_refusals_total{reason}}). */
    enum Refusal {
        INVALID_PEER_ID, DUPLICATE, FULL, PER_IP, RATE_LIMITED, ADMISSION, HUB_AUTH, NAMESPACE;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Hub link events ({@code peerpigeon_hub_link_events_total{event}}). */
    enum LinkEvent {
        REGISTERED, UNREGISTERED, BOOTSTRAP_CONNECTED, BOOTSTRAP_DISCONNECTED, BOOTSTRAP_ABANDONED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Index of a message type in {@link #MESSAGE_TYPES} ({@code other} when not listed). */
    static int typeIndex(String type) {
        if (type != null) {
            for (int i = 0; i < MESSAGE_TYPES.length - 1; i++) {
                if (MESSAGE_TYPES[i].equals(type)) {
                    return i;
                }
            }
        }
        return MESSAGE_TYPES.length - 1;
    }

    default void received(String type) {
    }

    /** A signal handed on (to a local receiver's write path or to the mesh), {@code nanos} after its frame was read. */
    default void relayed(String type, long nanos) {
    }

    default void errorSent() {
    }

    default void refused(Refusal reason) {
    }

    default void slowConsumerDropped() {
    }

    default void linkEvent(LinkEvent event) {
    }

    Meters NONE = new Meters() {
    };
}

package dev.peerpigeon;

import java.net.URI;

/** Typed events of a {@link PeerPigeonServer}; the names and payloads mirror the reference server's events. */
public sealed interface ServerEvent {
    record Started(String host, int port) implements ServerEvent {
    }

    /**
     * The server stopped. {@code cause} is null after {@link PeerPigeonServer#stop()}, else what stopped it on its
     * own (its transport failed: out of memory, a fatal error); the server then serves nothing any more.
     */
    record Stopped(Throwable cause) implements ServerEvent {
        /** A stop through {@link PeerPigeonServer#stop()}. */
        public Stopped() {
            this(null);
        }

        /** True when the server stopped on its own, not through {@code stop()}. */
        public boolean failed() {
            return cause != null;
        }
    }

    record Error(Throwable error) implements ServerEvent {
    }

    record PeerConnected(String peerId, int totalConnections) implements ServerEvent {
    }

    record PeerDisconnected(String peerId, int code, String reason, int totalConnections) implements ServerEvent {
    }

    record PeerAnnounced(String peerId, String networkName, boolean isHub) implements ServerEvent {
    }

    record PeerGoodbye(String peerId) implements ServerEvent {
    }

    record HubRegistered(String peerId, int totalHubs) implements ServerEvent {
    }

    record HubUnregistered(String peerId, int totalHubs) implements ServerEvent {
    }

    record BootstrapConnected(URI uri) implements ServerEvent {
    }

    record BootstrapDisconnected(URI uri, int code, String reason) implements ServerEvent {
    }

    /** Another hub of this namespace became known; {@code data} is its announce data as JSON text. */
    record HubDiscovered(String peerId, String via, String data) implements ServerEvent {
    }

    /** An outbound hub link gave up after {@code maxReconnectAttempts}. */
    record BootstrapAbandoned(URI uri, int attempts) implements ServerEvent {
    }
}

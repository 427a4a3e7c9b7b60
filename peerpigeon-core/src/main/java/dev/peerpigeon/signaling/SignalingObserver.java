package dev.peerpigeon.signaling;

/** Events of the signaling core. Called on transport threads; implementations must not block. */
public interface SignalingObserver {
    default void peerConnected(PeerSession session, int totalConnections) {
    }

    default void peerDisconnected(PeerSession session, int code, String reason, int totalConnections) {
    }

    default void peerAnnounced(PeerSession session, String networkName, boolean isHub) {
    }

    default void peerGoodbye(PeerSession session) {
    }

    default void hubRegistered(PeerSession session, int totalHubs) {
    }

    default void hubUnregistered(PeerSession session, int totalHubs) {
    }

    SignalingObserver NONE = new SignalingObserver() {
    };
}

package dev.peerpigeon;

/**
 * Receives server events. Every method has an empty default, so implement only what you need.
 * Callbacks run on server threads: keep them short and never block. An exception thrown by a
 * listener is logged and does not affect the server.
 */
public interface ServerListener {
    /** Called for every event before its typed method. */
    default void onEvent(ServerEvent event) {
    }

    default void started(ServerEvent.Started event) {
    }

    default void stopped(ServerEvent.Stopped event) {
    }

    default void error(ServerEvent.Error event) {
    }

    default void peerConnected(ServerEvent.PeerConnected event) {
    }

    default void peerDisconnected(ServerEvent.PeerDisconnected event) {
    }

    default void peerAnnounced(ServerEvent.PeerAnnounced event) {
    }

    default void peerGoodbye(ServerEvent.PeerGoodbye event) {
    }

    default void hubRegistered(ServerEvent.HubRegistered event) {
    }

    default void hubUnregistered(ServerEvent.HubUnregistered event) {
    }

    default void bootstrapConnected(ServerEvent.BootstrapConnected event) {
    }

    default void bootstrapDisconnected(ServerEvent.BootstrapDisconnected event) {
    }

    default void hubDiscovered(ServerEvent.HubDiscovered event) {
    }

    default void bootstrapAbandoned(ServerEvent.BootstrapAbandoned event) {
    }
}

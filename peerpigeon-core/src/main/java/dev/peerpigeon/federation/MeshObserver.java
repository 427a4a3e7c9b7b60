package dev.peerpigeon.federation;

import java.net.URI;

/** Hub mesh events (bridged to the public listener API). Called on mesh threads; must not block. */
public interface MeshObserver {
    default void hubRegistered(String hubId, int totalHubs) {
    }

    default void hubUnregistered(String hubId, int totalHubs) {
    }

    default void bootstrapConnected(URI uri) {
    }

    default void bootstrapDisconnected(URI uri, int code, String reason) {
    }

    default void hubDiscovered(String hubId, String via, String data) {
    }

    default void bootstrapAbandoned(URI uri, int attempts) {
    }
}

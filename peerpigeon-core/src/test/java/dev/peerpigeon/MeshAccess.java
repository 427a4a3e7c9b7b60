package dev.peerpigeon;

import dev.peerpigeon.federation.HubMesh;

/**
 * The test kit's bridge to a hub's internal mesh (package-private in the API, so embedders never see it). Only
 * {@code testkit.MeshView} uses it.
 */
public final class MeshAccess {
    private MeshAccess() {
    }

    public static HubMesh mesh(PeerPigeonServer server) {
        return server.hubMesh();
    }
}

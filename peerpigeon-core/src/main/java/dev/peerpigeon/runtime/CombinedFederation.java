package dev.peerpigeon.runtime;

import dev.peerpigeon.protocol.TextFrame;
import dev.peerpigeon.protocol.Inbound;
import dev.peerpigeon.protocol.ProtocolException;
import dev.peerpigeon.signaling.Federation;
import dev.peerpigeon.signaling.PeerSession;

/**
 * A node of a Redis cluster that is also a hub ({@code REDIS_URL} and {@code IS_HUB}): hub links belong to the hub
 * mesh, local peers are published to both, and a signal for a peer that is not here goes to the cluster first, then
 * to the mesh. The hub mesh only ever learns this node's own peers ({@code forEachLocalPeer}), never the cluster's:
 * to the mesh, each node is one hub of its own, not the whole cluster. Stateless; thread-safe as its parts.
 */
final class CombinedFederation implements Federation {
    private final Federation mesh;
    private final Federation cluster;

    CombinedFederation(Federation mesh, Federation cluster) {
        this.mesh = mesh;
        this.cluster = cluster;
    }

    /** The one federation a run hands to signaling: either part alone, both, or none. */
    static Federation of(Federation mesh, Federation cluster) {
        if (mesh == null) {
            return cluster == null ? Federation.NONE : cluster;
        }
        return cluster == null ? mesh : new CombinedFederation(mesh, cluster);
    }

    @Override
    public boolean onHubAnnounce(PeerSession session, String networkName, boolean dataIsHub, String data) {
        return mesh.onHubAnnounce(session, networkName, dataIsHub, data);
    }

    @Override
    public void onLinkFrame(PeerSession session, TextFrame text) {
        mesh.onLinkFrame(session, text);
    }

    @Override
    public void onHubClosed(PeerSession session) {
        mesh.onHubClosed(session);
    }

    @Override
    public void localPeerJoined(PeerSession session, String networkName) {
        cluster.localPeerJoined(session, networkName);
        mesh.localPeerJoined(session, networkName);
    }

    @Override
    public void localPeerLeft(PeerSession session, String networkName, boolean goodbye) {
        cluster.localPeerLeft(session, networkName, goodbye);
        mesh.localPeerLeft(session, networkName, goodbye);
    }

    @Override
    public boolean routeSignal(Inbound msg, String fromPeerId, String targetPeerId, String networkName)
            throws ProtocolException {
        return cluster.routeSignal(msg, fromPeerId, targetPeerId, networkName)
                || mesh.routeSignal(msg, fromPeerId, targetPeerId, networkName);
    }

    @Override
    public boolean isLiveElsewhere(String peerId) {
        return cluster.isLiveElsewhere(peerId) || mesh.isLiveElsewhere(peerId);
    }

    @Override
    public void sendRemotePeers(PeerSession session, String networkName) {
        cluster.sendRemotePeers(session, networkName);
        mesh.sendRemotePeers(session, networkName);
    }
}

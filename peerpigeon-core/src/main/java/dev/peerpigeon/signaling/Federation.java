package dev.peerpigeon.signaling;

import dev.peerpigeon.protocol.TextFrame;
import dev.peerpigeon.protocol.Inbound;
import dev.peerpigeon.protocol.ProtocolException;

/**
 * What the signaling core asks of a federation (the hub mesh, HubMesh; the Redis cluster, RedisCluster; or both,
 * combined by the runtime). A plain (non-hub, non-cluster) server
 * uses {@link #NONE}. Called on transport worker threads; implementations are thread-safe and never block.
 * Peer-bound results come back down through {@link LocalDelivery}, never through the caller.
 */
public interface Federation {
    /**
     * Decides whether an announce turns the connection into a hub link. Returns true when the
     * federation layer took the session over (it sets {@link PeerSession#hubLink} and then receives all
     * of its frames through {@link #onLinkFrame}); false to treat it as an ordinary peer.
     */
    default boolean onHubAnnounce(PeerSession session, String networkName, boolean dataIsHub, String data) {
        return false;
    }

    /**
     * A text frame of a session that is a hub link ({@code session.hubLink() != null}), straight from the
     * transport's handler: signaling does not parse or dispatch it.
     */
    default void onLinkFrame(PeerSession session, TextFrame text) {
        session.hubLink().onFrame(text);
    }

    /** The socket of an accepted hub link closed. */
    default void onHubClosed(PeerSession session) {
        session.hubLink().closed();
    }

    /** A local peer joined {@code networkName} (after local discovery ran). */
    default void localPeerJoined(PeerSession session, String networkName) {
    }

    /** A local peer left {@code networkName}: by goodbye ({@code goodbye} true), network change or disconnect. */
    default void localPeerLeft(PeerSession session, String networkName, boolean goodbye) {
    }

    /**
     * Routes a client signal whose target is not connected here. Returns true when the target is
     * known elsewhere and the signal was sent on its way. {@code msg} is valid only during the call (its data is read
     * from the frame's buffer): take Strings from it, never post it to another thread.
     *
     * @throws ProtocolException when the signal cannot be relayed (e.g. too large for the hub link); the
     *                           sender gets it as an {@code error}
     */
    default boolean routeSignal(Inbound msg, String fromPeerId, String targetPeerId, String networkName)
            throws ProtocolException {
        return false;
    }

    /** True when {@code peerId} is live on another hub of the federation. */
    default boolean isLiveElsewhere(String peerId) {
        return false;
    }

    /**
     * Sends the peers of {@code networkName} hosted on other hubs to a newly joined local peer. Called
     * under the network's lock ({@link PeerRegistry#withNetwork}), so it must only queue frames.
     */
    default void sendRemotePeers(PeerSession session, String networkName) {
    }

    /** The federation's side of one accepted inbound hub link, held by its {@link PeerSession}. */
    interface Link {
        /** A text frame arrived on the link (the thread decoding the connection, in order); valid only during the call. */
        void onFrame(TextFrame text);

        /** The link's socket closed. */
        void closed();
    }

    Federation NONE = new Federation() {
    };
}

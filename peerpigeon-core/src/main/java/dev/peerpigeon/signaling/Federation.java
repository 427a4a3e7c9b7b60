package dev.peerpigeon.signaling;

import dev.peerpigeon.protocol.Inbound;
import dev.peerpigeon.protocol.ProtocolException;

/**
 * What the signaling core asks of the hub mesh. A plain (non-hub) server uses {@link #NONE}.
 * Called on transport worker threads; implementations are thread-safe and never block.
 */
public interface Federation {
    /**
     * Decides whether an announce turns the connection into a hub link. Returns true when the
     * federation layer took the session over (it then receives all of its frames through
     * {@link #onHubFrame}); false to treat it as an ordinary peer.
     */
    default boolean onHubAnnounce(PeerSession session, String networkName, boolean dataIsHub, String data) {
        return false;
    }

    /** A frame from a connection that {@link #onHubAnnounce} accepted as a hub link. */
    default void onHubFrame(PeerSession session, Inbound message) {
    }

    /** The socket of an accepted hub link closed. */
    default void onHubClosed(PeerSession session) {
    }

    /** A local peer joined {@code networkName} (after local discovery ran). */
    default void localPeerJoined(PeerSession session, String networkName) {
    }

    /** A local peer left {@code networkName}: by goodbye ({@code goodbye} true), network change or disconnect. */
    default void localPeerLeft(PeerSession session, String networkName, boolean goodbye) {
    }

    /**
     * Routes a client signal whose target is not connected here. Returns true when the target is
     * known elsewhere and the signal was sent on its way.
     *
     * @throws ProtocolException when the signal cannot be relayed (e.g. too large for the hub link); the
     *                           sender gets it as an {@code error}
     */
    default boolean routeSignal(String type, String data, String fromPeerId, String targetPeerId,
                                String networkName) throws ProtocolException {
        return false;
    }

    /**
     * Sends the peers of {@code networkName} hosted on other hubs to a newly joined local peer. Called
     * under the network's lock ({@link PeerRegistry#withNetwork}), so it must only queue frames.
     */
    default void sendRemotePeers(PeerSession session, String networkName) {
    }

    Federation NONE = new Federation() {
    };
}

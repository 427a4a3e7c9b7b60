package dev.peerpigeon.signaling;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What a federation hands down to this hub's own peers: signals for them, remote-directory changes (made
 * under the network's lock so that a local joiner sees each remote peer exactly once), remote goodbyes.
 * Owned by signaling, implemented by {@link SignalingService}; the federation layer never climbs back up.
 * Thread-safe; never blocks beyond one network's lock.
 */
public interface LocalDelivery {
    /** Delivers a relayed signal to a local peer; false when {@code target} is not here in {@code net}. */
    boolean deliverSignal(String type, String data, String fromPeerId, String target, String net);

    /**
     * {@link #deliverSignal(String, String, String, String, String)} for a signal parsed from a hub link: its
     * {@code data} may then be copied straight from the frame it came in. {@code msg} is valid only during the call.
     */
    default boolean deliverSignal(dev.peerpigeon.protocol.Inbound msg, String fromPeerId, String target, String net) {
        return deliverSignal(msg.type(), msg.data(), fromPeerId, target, net);
    }

    /**
     * Runs {@code change} under the lock of network {@code net}; when it returns true, {@code notice} (a
     * {@code peer-discovered}/{@code peer-disconnected} frame) is sent to the network's local peers.
     * Returns what {@code change} returned.
     */
    boolean changeRemote(String net, BooleanSupplier change, Supplier<String> notice);

    /** A remote peer said goodbye: the closest local members of {@code net} hear of it. */
    void remoteGoodbye(String peerId, String net);

    /** True when {@code peerId} is registered on this hub. */
    boolean isLocal(String peerId);

    /** Calls {@code visitor} for each local (non-hub, open, announced) peer. */
    void forEachLocalPeer(LocalPeerVisitor visitor);

    /** Refuses a hub link that lacks hub authentication (the answer is signaling's, see HubAccess). */
    void refuseHubLink(PeerSession session, String networkName);

    /** The client limits remote directory entries are held to. */
    SignalingSettings settings();

    /** One local peer as the federation advertises it. */
    @FunctionalInterface
    interface LocalPeerVisitor {
        void visit(String networkName, String peerId, String discoveryData);
    }
}

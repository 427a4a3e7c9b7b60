package dev.peerpigeon.signaling;

import dev.peerpigeon.protocol.Inbound;
import dev.peerpigeon.protocol.MessageCodec;

/**
 * What the federation hands to local peers ({@link LocalDelivery}, federation's port into signaling): remote
 * signals, remote directory changes, remote goodbyes, and the local directory for a new link.
 *
 * <p>Threads: stateless apart from the shared {@link PeerRegistry}; called by transport and link reader threads
 * and the mesh thread, concurrently.
 */
final class LocalPeerDelivery implements LocalDelivery {
    private final PeerRegistry registry;
    private final SignalingSettings settings;
    private final SignalingPorts ports;
    private final Announcements announcements;

    LocalPeerDelivery(PeerRegistry registry, SignalingSettings settings, SignalingPorts ports, Announcements announcements) {
        this.registry = registry;
        this.settings = settings;
        this.ports = ports;
        this.announcements = announcements;
    }

    @Override
    public SignalingSettings settings() {
        return settings;
    }


    @Override
    public boolean deliverSignal(String type, String data, String fromPeerId, String target, String net) {
        PeerSession t = receiver(target, net);
        if (t == null) {
            return false;
        }
        t.connection().send(MessageCodec.relay(type, data, fromPeerId, target, net, System.currentTimeMillis(), null));
        return true;
    }

    @Override
    public boolean deliverSignal(Inbound msg, String fromPeerId, String target, String net) {
        PeerSession t = receiver(target, net);
        if (t == null) {
            return false;
        }
        SignalRelay.send(t.connection(), msg, fromPeerId, target, net, System.currentTimeMillis());
        return true;
    }

    /** The local peer that a signal for {@code target} in {@code net} goes to, or null when it is not here. */
    private PeerSession receiver(String target, String net) {
        PeerSession t = registry.get(target);
        return t == null || !t.connection().isOpen() || !net.equals(t.effectiveNetwork()) || t.hubLink() != null ? null : t;
    }

    @Override
    public boolean changeRemote(String net, java.util.function.BooleanSupplier change,
                                java.util.function.Supplier<String> notice) {
        boolean[] changed = {false};
        registry.withNetwork(net, members -> {
            if (!change.getAsBoolean()) {
                return;
            }
            changed[0] = true;
            SharedFrame frame = SharedFrame.of(notice.get());
            for (PeerSession m : members) {
                if (m.connection().isOpen() && m.hubLink() == null) {
                    m.connection().send(frame);
                }
            }
        });
        return changed[0];
    }

    @Override
    public void remoteGoodbye(String peerId, String net) {
        announcements.sendGoodbyeToClosest(peerId, net, "{\"peerId\":" + MessageCodec.quote(peerId) + ",\"reason\":\"goodbye\"}",
                null, System.currentTimeMillis());
    }

    @Override
    public boolean isLocal(String peerId) {
        return registry.get(peerId) != null;
    }

    @Override
    public void forEachLocalPeer(LocalPeerVisitor visitor) {
        for (PeerSession s : registry.sessions()) {
            String net = s.networkName();
            if (net != null && !s.isHub() && s.hubLink() == null && s.connection().isOpen()) {
                visitor.visit(net, s.peerId(), s.discoveryData());
            }
        }
    }

    @Override
    public void refuseHubLink(PeerSession session, String networkName) {
        ports.hubAccess.refuse(session, networkName);
    }
}

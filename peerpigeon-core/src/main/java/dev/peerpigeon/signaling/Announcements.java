package dev.peerpigeon.signaling;

import dev.peerpigeon.protocol.AnnounceData;
import dev.peerpigeon.protocol.Inbound;
import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.protocol.ProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Network membership: announce and discovery, departure notices, goodbye (PROTOCOL.md sections 2-4).
 *
 * <p>Threads: stateless apart from the shared {@link PeerRegistry} and the session's own fields; called
 * concurrently for different connections, and in order for one connection.
 */
final class Announcements {
    private static final Logger log = LoggerFactory.getLogger(SignalingService.class);


    /** Peers told about a goodbye, as in the reference: the closest by XOR distance. */
    static final int GOODBYE_FANOUT = 5;


    /**
     * Announces one peer may make: sustained per second, and burst. Each announce that changes anything fans out
     * to every member of the network (and over the hub mesh), so without this bound one peer could fill every
     * receiver's queue at the general message rate.
     */
    static final int ANNOUNCES_PER_SECOND = 2;
    static final int ANNOUNCE_BURST = 10;

    private final PeerRegistry registry;
    private final SignalingSettings settings;
    private final SignalingPorts ports;

    Announcements(PeerRegistry registry, SignalingSettings settings, SignalingPorts ports) {
        this.registry = registry;
        this.settings = settings;
        this.ports = ports;
    }


    void announce(PeerSession s, Inbound msg, long now) throws ProtocolException {
        if (s.announceLimiter == null && s.announcedOnce) {
            // As if made at the first announce, which took a token, less the refill since (at most one token).
            s.announceLimiter = new RateLimiter(ANNOUNCES_PER_SECOND, ANNOUNCE_BURST, System.nanoTime());
            s.announceLimiter.acquire(System.nanoTime());
        }
        s.announcedOnce = true;
        if (s.announceLimiter != null && s.announceLimiter.acquire(System.nanoTime()) != RateLimiter.Verdict.PASS) {
            throw new ProtocolException("Announce rate limit exceeded: at most " + ANNOUNCES_PER_SECOND
                    + " announces per second (burst " + ANNOUNCE_BURST + "); announce dropped");
        }
        String net = networkOf(msg);
        AnnounceData data = announceData(msg.data());
        boolean dataIsHub = data.isHub();
        String dataJson = data.json();
        if (ports.federation.onHubAnnounce(s, net, dataIsHub, dataJson)) {
            return;
        }
        boolean isHub = dataIsHub || net.equals(settings.hubMeshNamespace());
        if (isHub && !s.hubAuthorized()) {
            ports.hubAccess.refuse(s, net); // a plain server: data.isHub and the namespace follow the hub mesh rule
            return;
        }
        String discoveryJson = data.discovery(s.peerId(), isHub);

        String previous = s.networkName();
        boolean wasHub = s.isHub();
        if (net.equals(previous) && isHub == wasHub && discoveryJson.equals(s.discoveryData())) {
            log.debug("{} re-announced in '{}' with the same data: nothing to tell anyone", s, net);
            return;
        }
        if (previous != null) {
            departNetwork(s); // one network per peer: re-announcing moves it
        }
        // Membership and the snapshot of the others are atomic (each pair learns of each other exactly once);
        // the sends, which cost a syscall each, happen after the lock so join storms use every core.
        List<PeerSession> snapshot = new ArrayList<>();
        boolean joined = registry.join(s, net, name -> s.announce(name, isHub, dataJson, discoveryJson, now), others -> {
            snapshot.addAll(others);
            ports.federation.sendRemotePeers(s, net); // under the same lock as remote inserts: exactly once
        });
        if (joined && !snapshot.isEmpty()) {
            SharedFrame aboutNewcomer = SharedFrame.of(MessageCodec.notice("peer-discovered", discoveryJson, net, null, now, null));
            for (PeerSession other : snapshot) {
                if (other.connection().isOpen()) {
                    other.connection().send(aboutNewcomer);
                }
            }
            for (PeerSession other : snapshot) {
                if (other.connection().isOpen()) {
                    s.connection().send(MessageCodec.notice("peer-discovered", other.discoveryData(), net,
                            s.peerId(), now, null));
                }
            }
        }
        if (!joined) {
            if (!s.isClosed()) {
                throw new ProtocolException("Too many networks on this server; announce refused");
            }
            return;
        }
        ports.federation.localPeerJoined(s, net);
        log.debug("{} announced in network '{}'{}", s, net, isHub ? " as hub" : "");
        ports.observer.peerAnnounced(s, net, isHub);
        if (isHub && !wasHub) {
            ports.observer.hubRegistered(s, hubCount(registry));
        }
    }

    private String networkOf(Inbound msg) throws ProtocolException {
        String net = msg.networkName();
        if (net == null || net.isEmpty()) {
            return PeerRegistry.DEFAULT_NETWORK;
        }
        if (net.length() > settings.maxNetworkNameLength()) {
            throw new ProtocolException("Field 'networkName' is longer than " + settings.maxNetworkNameLength()
                    + " characters");
        }
        return net;
    }

    private AnnounceData announceData(String data) throws ProtocolException {
        if (data != null && data.length() > settings.maxAnnounceDataBytes()) {
            throw new ProtocolException("Announce 'data' is larger than " + settings.maxAnnounceDataBytes() + " bytes");
        }
        return AnnounceData.parse(data);
    }

    /** Removes the session from its network (if any) and tells the remaining members. */
    void departNetwork(PeerSession s) {
        departNetwork(s, false);
    }

    void departNetwork(PeerSession s, boolean goodbye) {
        String net = s.networkName();
        if (net == null) {
            return;
        }
        long now = System.currentTimeMillis();
        String data = MessageCodec.quote(new StringBuilder("{\"peerId\":"), s.peerId()).append(",\"isHub\":")
                .append(s.isHub()).append('}').toString();
        SharedFrame notice = SharedFrame.of(MessageCodec.notice("peer-disconnected", data, net, null, now, null));
        boolean left = registry.leave(s, net, remaining -> {
            for (PeerSession other : remaining) {
                if (other.connection().isOpen()) {
                    other.connection().send(notice);
                }
            }
        });
        if (left) {
            s.leaveNetwork();
            ports.federation.localPeerLeft(s, net, goodbye);
        }
    }

    // ------------------------------------------------------------------ goodbye

    void goodbye(PeerSession s, Inbound msg, long now) throws ProtocolException {
        String net = s.networkName();
        if (net == null) {
            log.debug("{} said goodbye before announcing", s);
            return;
        }
        SignalRelay.checkClaimedNetwork(s, msg);
        sendGoodbyeToClosest(s.peerId(), net, msg.data(), msg.targetPeerId(), now);
        ports.observer.peerGoodbye(s);
        // The socket stays registered (it still gets pongs and may announce again), but the peer is
        // gone from its network; the reference instead orphaned the socket (PROTOCOL.md 9.6).
        departNetwork(s, true);
    }

    /**
     * Sends a goodbye from {@code fromPeerId} to the {@value #GOODBYE_FANOUT} local members of {@code net}
     * closest to it by XOR distance (the reference's choice). Used for local and remote goodbyes.
     */
    public void sendGoodbyeToClosest(String fromPeerId, String net, String data, String target, long now) {
        PeerRegistry.Network network = registry.network(net);
        if (network == null) {
            return;
        }
        List<PeerSession> closest = new ArrayList<>();
        for (PeerSession p : network.members()) {
            if (!p.peerId().equals(fromPeerId) && p.connection().isOpen() && p.hubLink() == null) {
                closest.add(p);
            }
        }
        closest.sort(Comparator.comparingInt(p -> PeerId.xorDistance(fromPeerId, p.peerId())));
        String frame = MessageCodec.relay("goodbye", data, fromPeerId, target, net, now, null);
        for (int i = 0; i < Math.min(GOODBYE_FANOUT, closest.size()); i++) {
            closest.get(i).connection().send(frame);
        }
    }

    /** Hubs and hub links registered now. O(sessions). */
    static int hubCount(PeerRegistry registry) {
        int n = 0;
        for (PeerSession p : registry.sessions()) {
            if (p.isHub() || p.hubLink() != null) {
                n++;
            }
        }
        return n;
    }
}

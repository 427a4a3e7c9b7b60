package dev.peerpigeon.signaling;

import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.signaling.SharedFrame;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.peerpigeon.protocol.Inbound;
import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.protocol.ProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The signaling protocol over {@link Connection}s: welcome, announce and discovery, relay of
 * client-to-client signals, goodbye, ping and disconnect notices (PROTOCOL.md sections 1-5, with the
 * fixes listed in DESIGN.md).
 *
 * <p>Threads: stateless apart from the shared {@link PeerRegistry}; every method may be called
 * concurrently for different connections, and in order for one connection.
 */
public final class SignalingService implements LocalDelivery {
    private static final Logger log = LoggerFactory.getLogger(SignalingService.class);

    /** Client-to-client types relayed to {@code targetPeerId}. The reference refuses all but the first three. */
    public static final Set<String> RELAYED_TYPES = Set.of("offer", "answer", "ice-candidate",
            "connection-rejected", "renegotiation-offer", "renegotiation-answer",
            "ice-restart-offer", "ice-restart-answer");

    /** Peers told about a goodbye, as in the reference: the closest by XOR distance. */
    static final int GOODBYE_FANOUT = 5;

    /** How long after its own offer a peer's initiator-conflict rejection to the same target is redundant. */
    static final long GLARE_WINDOW_MILLIS = 10_000;

    private final PeerRegistry registry;
    private final SignalingSettings settings;
    private volatile Federation federation = Federation.NONE;
    private volatile SignalingObserver observer = SignalingObserver.NONE;
    private volatile HubAccess hubAccess = new HubAccess(null, false);

    /**
     * Announces one peer may make: sustained per second, and burst. Each announce that changes anything fans out
     * to every member of the network (and over the hub mesh), so without this bound one peer could fill every
     * receiver's queue at the general message rate.
     */
    static final int ANNOUNCES_PER_SECOND = 2;
    static final int ANNOUNCE_BURST = 10;

    public SignalingService(PeerRegistry registry, SignalingSettings settings) {
        this.registry = registry;
        this.settings = settings;
    }

    public void federation(Federation federation) {
        this.federation = federation;
    }

    public void observer(SignalingObserver observer) {
        this.observer = observer;
    }

    /** Who may announce as a hub (see {@link HubAccess}); sessions carry the decision made at upgrade time. */
    public void hubAccess(HubAccess access) {
        this.hubAccess = access;
    }

    public HubAccess hubAccess() {
        return hubAccess;
    }

    public PeerRegistry registry() {
        return registry;
    }

    @Override
    public SignalingSettings settings() {
        return settings;
    }

    // ------------------------------------------------------------------ lifecycle of a connection

    /**
     * Registers an upgraded connection and sends the welcome. Returns the session, or null when the id
     * was taken or the server filled up between the admission check and now (the socket is then closed
     * with 1008 like the reference).
     */
    public PeerSession open(Connection connection, String peerId) {
        long now = System.currentTimeMillis();
        PeerSession session = new PeerSession(peerId, connection, now);
        if (settings.maxMessagesPerSecond() > 0) {
            session.rateLimiter = new RateLimiter(settings.maxMessagesPerSecond(), settings.messageBurst(), System.nanoTime());
        }
        PeerSession conflict = registry.register(session, this::cleanupStale);
        if (conflict != null) {
            session.markClosed();
            connection.close(1008, conflict == session ? "Maximum connections reached" : "Peer already connected");
            return null;
        }
        int total = registry.connectionCount();
        log.debug("Peer {} connected ({} connections)", PeerSession.shortId(peerId), total);
        observer.peerConnected(session, total);
        connection.send(MessageCodec.connected(peerId, now));
        return session;
    }

    /**
     * Closes the plain peer holding {@code peerId} (not a hub, not a hub link) so that a hub entitled to the id
     * can register it; the new registration replaces the closed one. False when there is no such peer.
     */
    public boolean evictPlainPeer(String peerId, String reason) {
        PeerSession s = registry.get(peerId);
        if (s == null || s.hubLink() != null || s.isHub()) {
            return false;
        }
        log.info("Closing {} ({}): {}", s, s.connection().remoteAddress(), reason);
        s.markClosed();
        s.connection().close(1008, reason);
        return true;
    }

    private void cleanupStale(PeerSession stale) {
        log.debug("Replacing stale registration of {}", stale);
        stale.markClosed();
        departNetwork(stale);
    }

    /** The socket closed (any reason). Safe to call more than once. */
    public void close(PeerSession session, int code, String reason) {
        if (session.hubLink() != null) {
            federation.onHubClosed(session);
        }
        boolean wasRegistered = registry.unregister(session);
        departNetwork(session);
        if (wasRegistered) {
            int total = registry.connectionCount();
            log.debug("Peer {} disconnected: {} {} ({} connections)", session, code, reason, total);
            observer.peerDisconnected(session, code, reason, total);
            if (session.isHub()) {
                observer.hubUnregistered(session, hubCount());
            }
        }
    }

    // ------------------------------------------------------------------ frames

    /** Handles one text frame of a registered session. Never throws for bad input. */
    public void onMessage(PeerSession session, String text) {
        long now = System.currentTimeMillis();
        session.touch(now);
        if (!withinRate(session, now)) {
            return;
        }
        Inbound msg;
        try {
            msg = MessageCodec.parse(text);
        } catch (ProtocolException e) {
            replyError(session, e.getMessage(), now);
            return;
        }
        try {
            dispatch(session, msg, now);
        } catch (ProtocolException e) {
            replyError(session, e.getMessage(), now);
        }
    }

    /**
     * A WebSocket ping of a registered session: liveness, and one message against its rate (a ping flood
     * is refused like any other). Returns true when it is to be answered with a pong.
     */
    public boolean onPing(PeerSession session) {
        long now = System.currentTimeMillis();
        session.touch(now);
        return withinRate(session, now);
    }

    /** Takes one frame from the session's rate budget; false when the frame is dropped (or the session closed). */
    private boolean withinRate(PeerSession session, long now) {
        RateLimiter limiter = session.rateLimiter;
        if (limiter == null || session.hubLink() != null) {
            return true;
        }
        switch (limiter.acquire(System.nanoTime())) {
            case PASS -> {
                return true;
            }
            case DROP -> {
                return false;
            }
            case DROP_AND_WARN -> {
                replyError(session, "Rate limit exceeded: at most " + settings.maxMessagesPerSecond()
                        + " messages per second; messages are being dropped", now);
                return false;
            }
            default -> {
                // Client-caused and once per connection (it is closed): INFO, not a warning for the operator.
                log.info("Closing {} ({}): it keeps flooding past the rate limit", session,
                        session.connection().remoteAddress());
                session.connection().close(1008, "Rate limit exceeded");
                return false;
            }
        }
    }

    private void dispatch(PeerSession s, Inbound msg, long now) throws ProtocolException {
        String type = msg.type();
        if (type == null) {
            throw unroutable("undefined");
        }
        switch (type) {
            case "announce" -> announce(s, msg, now);
            case "goodbye" -> goodbye(s, msg, now);
            case "ping" -> s.connection().send(MessageCodec.pong(s.peerId(), now));
            case "cleanup", "cleanup-all" -> log.debug("{} sent {} (nothing to clean: the server keeps no per-pair state)", s, type);
            default -> {
                if (RELAYED_TYPES.contains(type)) {
                    relay(s, msg, now);
                } else {
                    throw unroutable(type);
                }
            }
        }
    }

    private static ProtocolException unroutable(String type) {
        return new ProtocolException("Signaling server does not route '" + type
                + "' messages. Use WebRTC data channels for peer-to-peer communication.");
    }

    private void replyError(PeerSession s, String message, long now) {
        log.debug("{}: {}", s, message);
        s.connection().send(MessageCodec.error(message, s.effectiveNetwork(), now));
    }

    // ------------------------------------------------------------------ announce

    private void announce(PeerSession s, Inbound msg, long now) throws ProtocolException {
        if (s.announceLimiter == null) {
            s.announceLimiter = new RateLimiter(ANNOUNCES_PER_SECOND, ANNOUNCE_BURST, System.nanoTime());
        }
        if (s.announceLimiter.acquire(System.nanoTime()) != RateLimiter.Verdict.PASS) {
            throw new ProtocolException("Announce rate limit exceeded: at most " + ANNOUNCES_PER_SECOND
                    + " announces per second (burst " + ANNOUNCE_BURST + "); announce dropped");
        }
        String net = networkOf(msg);
        JsonObject data = announceData(msg.data());
        boolean dataIsHub = data.has("isHub") && data.get("isHub").isJsonPrimitive()
                && data.get("isHub").getAsJsonPrimitive().isBoolean() && data.get("isHub").getAsBoolean();
        String dataJson = data.toString();
        if (federation.onHubAnnounce(s, net, dataIsHub, dataJson)) {
            return;
        }
        boolean isHub = dataIsHub || net.equals(settings.hubMeshNamespace());
        if (isHub && !s.hubAuthorized()) {
            hubAccess.refuse(s, net); // a plain server: data.isHub and the namespace follow the hub mesh rule
            return;
        }
        // The server's values win: data cannot override the announcer's id or hub flag.
        JsonObject discovery = new JsonObject();
        discovery.addProperty("peerId", s.peerId());
        discovery.addProperty("isHub", isHub);
        for (Map.Entry<String, JsonElement> e : data.entrySet()) {
            if (!e.getKey().equals("peerId") && !e.getKey().equals("isHub")) {
                discovery.add(e.getKey(), e.getValue());
            }
        }
        String discoveryJson = discovery.toString();

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
        boolean joined = registry.join(s, net, () -> s.announce(net, isHub, dataJson, discoveryJson, now), others -> {
            snapshot.addAll(others);
            federation.sendRemotePeers(s, net); // under the same lock as remote inserts: exactly once
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
        federation.localPeerJoined(s, net);
        log.debug("{} announced in network '{}'{}", s, net, isHub ? " as hub" : "");
        observer.peerAnnounced(s, net, isHub);
        if (isHub && !wasHub) {
            observer.hubRegistered(s, hubCount());
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

    private JsonObject announceData(String data) throws ProtocolException {
        if (data == null || data.equals("null")) {
            return new JsonObject();
        }
        if (data.length() > settings.maxAnnounceDataBytes()) {
            throw new ProtocolException("Announce 'data' is larger than " + settings.maxAnnounceDataBytes() + " bytes");
        }
        JsonElement parsed = JsonParser.parseString(data);
        if (!parsed.isJsonObject()) {
            throw new ProtocolException("Field 'data' of announce must be an object");
        }
        return parsed.getAsJsonObject();
    }

    /** Removes the session from its network (if any) and tells the remaining members. */
    void departNetwork(PeerSession s) {
        departNetwork(s, false);
    }

    private void departNetwork(PeerSession s, boolean goodbye) {
        String net = s.networkName();
        if (net == null) {
            return;
        }
        long now = System.currentTimeMillis();
        JsonObject data = new JsonObject();
        data.addProperty("peerId", s.peerId());
        data.add("isHub", new JsonPrimitive(s.isHub()));
        SharedFrame notice = SharedFrame.of(MessageCodec.notice("peer-disconnected", data.toString(), net, null, now, null));
        boolean left = registry.leave(s, net, remaining -> {
            for (PeerSession other : remaining) {
                if (other.connection().isOpen()) {
                    other.connection().send(notice);
                }
            }
        });
        if (left) {
            s.leaveNetwork();
            federation.localPeerLeft(s, net, goodbye);
        }
    }

    // ------------------------------------------------------------------ goodbye

    private void goodbye(PeerSession s, Inbound msg, long now) throws ProtocolException {
        String net = s.networkName();
        if (net == null) {
            log.debug("{} said goodbye before announcing", s);
            return;
        }
        checkClaimedNetwork(s, msg);
        sendGoodbyeToClosest(s.peerId(), net, msg.data(), msg.targetPeerId(), now);
        observer.peerGoodbye(s);
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

    /** A client's claimed network, when present, must be its real one (PROTOCOL.md 9.5). */
    private static void checkClaimedNetwork(PeerSession s, Inbound msg) throws ProtocolException {
        String claimed = msg.networkName();
        if (claimed != null && !claimed.isEmpty() && !claimed.equals(s.effectiveNetwork())) {
            throw new ProtocolException("networkName '" + claimed + "' is not the network you announced in ('"
                    + s.effectiveNetwork() + "')");
        }
    }

    // ------------------------------------------------------------------ relay

    private void relay(PeerSession s, Inbound msg, long now) throws ProtocolException {
        String target = msg.targetPeerId();
        if (target == null) {
            throw new ProtocolException("Field 'targetPeerId' is required for '" + msg.type() + "'");
        }
        if (!PeerId.isValid(target)) {
            throw new ProtocolException("Field 'targetPeerId' must be 40 hex digits");
        }
        checkClaimedNetwork(s, msg);
        if (msg.type().equals("offer")) {
            s.offerSent(target, now);
        } else if (msg.type().equals("connection-rejected") && msg.data() != null
                && msg.data().contains("initiator_role_conflict") && s.offeredRecently(target, now, GLARE_WINDOW_MILLIS)) {
            // Glare: both sides offered at once. The sender already offers to the target itself, so this
            // rejection only races that offer; the 1.1.3 client, on receiving it after it switched to
            // answering, closes the very connection it is answering. Dropping it lets the handshake finish.
            log.debug("{}: dropped a redundant initiator_role_conflict rejection to {}", s, PeerSession.shortId(target));
            return;
        }
        String net = s.effectiveNetwork();
        PeerSession t = registry.get(target);
        if (t != null && t.connection().isOpen() && net.equals(t.effectiveNetwork()) && t.hubLink() == null) {
            t.connection().send(MessageCodec.relay(msg.type(), msg.data(), s.peerId(), target, net, now, null));
            return;
        }
        if (t == null && federation.routeSignal(msg.type(), msg.data(), s.peerId(), target, net)) {
            return;
        }
        throw new ProtocolException("Peer " + target + " is not connected in network '" + net + "'");
    }

    // ------------------------------------------------------------------ LocalDelivery (federation -> local peers)

    @Override
    public boolean deliverSignal(String type, String data, String fromPeerId, String target, String net) {
        PeerSession t = registry.get(target);
        if (t == null || !t.connection().isOpen() || !net.equals(t.effectiveNetwork()) || t.hubLink() != null) {
            return false;
        }
        t.connection().send(MessageCodec.relay(type, data, fromPeerId, target, net, System.currentTimeMillis(), null));
        return true;
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
        sendGoodbyeToClosest(peerId, net, "{\"peerId\":" + MessageCodec.quote(peerId) + ",\"reason\":\"goodbye\"}",
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
        hubAccess.refuse(session, networkName);
    }

    // ------------------------------------------------------------------ stats

    public int hubCount() {
        int n = 0;
        for (PeerSession p : registry.sessions()) {
            if (p.isHub() || p.hubLink() != null) {
                n++;
            }
        }
        return n;
    }
}

package dev.peerpigeon.signaling;

import dev.peerpigeon.protocol.TextFrame;
import dev.peerpigeon.protocol.Inbound;
import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.protocol.ProtocolException;
import dev.peerpigeon.support.Meters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;

/**
 * The signaling protocol over {@link Connection}s: welcome, announce and discovery, relay of
 * client-to-client signals, goodbye, ping and disconnect notices (PROTOCOL.md sections 1-5, with the
 * fixes listed in DESIGN.md). The entry point: it owns the connection lifecycle, the rate limits and the
 * dispatch, and hands announce/goodbye to {@link Announcements}, signal relay to {@link SignalRelay}; what the
 * federation delivers to local peers is {@link LocalPeerDelivery} (see {@link #localDelivery()}).
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

    private final PeerRegistry registry;
    private final SignalingSettings settings;
    private final SignalingPorts ports = new SignalingPorts();
    private final Announcements announcements;
    private final SignalRelay relay;
    private final LocalPeerDelivery localDelivery;

    public SignalingService(PeerRegistry registry, SignalingSettings settings) {
        this.registry = registry;
        this.settings = settings;
        this.announcements = new Announcements(registry, settings, ports);
        this.relay = new SignalRelay(registry, ports);
        this.localDelivery = new LocalPeerDelivery(registry, settings, ports, announcements);
    }

    public void federation(Federation federation) {
        ports.federation = federation;
    }

    public void observer(SignalingObserver observer) {
        ports.observer = observer;
    }

    /** Where this layer counts messages, relays, error replies and refusals ({@code /metrics}). */
    public void meters(Meters meters) {
        ports.meters = meters;
    }

    /** Who may announce as a hub (see {@link HubAccess}); sessions carry the decision made at upgrade time. */
    public void hubAccess(HubAccess access) {
        ports.hubAccess = access;
    }

    public HubAccess hubAccess() {
        return ports.hubAccess;
    }

    public PeerRegistry registry() {
        return registry;
    }

    /** Federation's port into this layer (the same methods this service implements, by delegation). */
    public LocalDelivery localDelivery() {
        return localDelivery;
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
            ports.meters.refused(conflict == session ? Meters.Refusal.FULL : Meters.Refusal.DUPLICATE);
            connection.close(1008, conflict == session ? "Maximum connections reached" : "Peer already connected");
            return null;
        }
        int total = registry.connectionCount();
        log.debug("Peer {} connected ({} connections)", PeerSession.shortId(peerId), total);
        ports.observer.peerConnected(session, total);
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
            ports.federation.onHubClosed(session);
        }
        boolean wasRegistered = registry.unregister(session);
        departNetwork(session);
        if (wasRegistered) {
            int total = registry.connectionCount();
            log.debug("Peer {} disconnected: {} {} ({} connections)", session, code, reason, total);
            ports.observer.peerDisconnected(session, code, reason, total);
            if (session.isHub()) {
                ports.observer.hubUnregistered(session, hubCount());
            }
        }
    }

    // ------------------------------------------------------------------ frames

    /** Handles one text frame of a registered session. Never throws for bad input. */
    public void onMessage(PeerSession session, TextFrame text) {
        long readAt = System.nanoTime();
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
            dispatch(session, msg, now, readAt);
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
                ports.meters.refused(Meters.Refusal.RATE_LIMITED);
                session.connection().close(1008, "Rate limit exceeded");
                return false;
            }
        }
    }

    private void dispatch(PeerSession s, Inbound msg, long now, long readAt) throws ProtocolException {
        String type = msg.type();
        ports.meters.received(type);
        if (type == null) {
            throw unroutable("undefined");
        }
        switch (type) {
            case "announce" -> announcements.announce(s, msg, now);
            case "goodbye" -> announcements.goodbye(s, msg, now);
            case "ping" -> s.connection().send(MessageCodec.pong(s.peerId(), now));
            case "cleanup", "cleanup-all" -> log.debug("{} sent {} (nothing to clean: the server keeps no per-pair state)", s, type);
            default -> {
                if (RELAYED_TYPES.contains(type)) {
                    if (relay.relay(s, msg, now)) {
                        ports.meters.relayed(type, System.nanoTime() - readAt);
                    }
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
        ports.meters.errorSent();
        s.connection().send(MessageCodec.error(message, s.effectiveNetwork(), now));
    }

    /** Removes the session from its network (if any) and tells the remaining members. */
    void departNetwork(PeerSession s) {
        announcements.departNetwork(s, false);
    }

    /**
     * Sends a goodbye from {@code fromPeerId} to the {@value Announcements#GOODBYE_FANOUT} local members of
     * {@code net} closest to it by XOR distance (the reference's choice). Used for local and remote goodbyes.
     */
    public void sendGoodbyeToClosest(String fromPeerId, String net, String data, String target, long now) {
        announcements.sendGoodbyeToClosest(fromPeerId, net, data, target, now);
    }

    // ------------------------------------------------------------------ LocalDelivery (see LocalPeerDelivery)

    @Override
    public boolean deliverSignal(String type, String data, String fromPeerId, String target, String net) {
        return localDelivery.deliverSignal(type, data, fromPeerId, target, net);
    }

    @Override
    public boolean deliverSignal(Inbound msg, String fromPeerId, String target, String net) {
        return localDelivery.deliverSignal(msg, fromPeerId, target, net);
    }

    @Override
    public boolean changeRemote(String net, java.util.function.BooleanSupplier change,
                                java.util.function.Supplier<String> notice) {
        return localDelivery.changeRemote(net, change, notice);
    }

    @Override
    public void remoteGoodbye(String peerId, String net) {
        localDelivery.remoteGoodbye(peerId, net);
    }

    @Override
    public boolean isLocal(String peerId) {
        return localDelivery.isLocal(peerId);
    }

    @Override
    public void forEachLocalPeer(LocalPeerVisitor visitor) {
        localDelivery.forEachLocalPeer(visitor);
    }

    @Override
    public void refuseHubLink(PeerSession session, String networkName) {
        localDelivery.refuseHubLink(session, networkName);
    }

    // ------------------------------------------------------------------ stats

    public int hubCount() {
        return Announcements.hubCount(registry);
    }
}

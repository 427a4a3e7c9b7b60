package dev.peerpigeon.federation;

import dev.peerpigeon.protocol.Inbound;
import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.protocol.ProtocolException;
import dev.peerpigeon.protocol.RouteInfo;
import dev.peerpigeon.signaling.LocalDelivery;
import dev.peerpigeon.signaling.PeerRegistry;
import dev.peerpigeon.signaling.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Moves signals between hubs: toward the hub hosting the target (next hop from the route table), flooded over
 * Java links with a {@code msgId} (so every hub delivers it once) only when no route is known; a signal that
 * reached its hub goes down to {@link LocalDelivery}. Runs on transport and link reader threads; its state is
 * the thread-safe de-dup window (routes and directory are read lock-free).
 */
final class SignalRouter {
    private static final Logger log = LoggerFactory.getLogger(HubMesh.class);
    /** Room kept for later hops re-encoding a signal we originate (ttl digits, msgId instead of targetHub). */
    static final int REENCODE_MARGIN = 256;

    /** Outcome of {@link #forward}. */
    enum Forward { SENT, NOWHERE, TOO_LARGE }

    private final String self;
    private final LinkTable links;
    private final RemoteDirectory directory;
    private final LocalDelivery local;
    private final LinkGuard guard;
    private final DedupWindow seen = new DedupWindow(200_000);
    private final ReplyPaths replies = new ReplyPaths(100_000);

    SignalRouter(String self, LinkTable links, RemoteDirectory directory, LocalDelivery local, LinkGuard guard) {
        this.self = self;
        this.links = links;
        this.directory = directory;
        this.local = local;
        this.guard = guard;
    }

    /** A client signal whose target is not here: false when the target is not known elsewhere either. */
    boolean route(Inbound msg, String from, String target, String net) throws ProtocolException {
        Forward f;
        if (directory.get(net, target) != null) {
            f = forward(msg, from, target, net, null, RouteTable.MAX_TTL, self, null);
        } else {
            ReplyPaths.Path back = replies.get(net, target); // it signalled us before its announce arrived
            if (back == null) {
                return false;
            }
            f = sendVia(back.link(), back.originHub(), msg, from, target, net, RouteTable.MAX_TTL, self, REENCODE_MARGIN);
        }
        if (f == Forward.TOO_LARGE) {
            guard.count(LinkGuard.Refusal.TOO_LARGE);
            throw new ProtocolException("Message too large to relay to peer " + target
                    + " on another hub: its hub link accepts smaller frames");
        }
        return f == Forward.SENT;
    }

    /** A signal that arrived on {@code link}: delivered here, or forwarded with its ttl decremented. */
    void onRemoteSignal(HubLink link, Inbound msg) {
        String target = msg.targetPeerId();
        String from = msg.fromPeerId();
        if (!PeerId.isValid(target) || !PeerId.isValid(from)) {
            return;
        }
        if (target.equals(self)) {
            return; // WebRTC attempts at our hub id from a reference hub's mesh client: we have no WebRTC
        }
        String net = msg.networkName() == null || msg.networkName().isEmpty() ? PeerRegistry.DEFAULT_NETWORK : msg.networkName();
        RouteInfo r = msg.route();
        // Only flooded signals carry a msgId (routed ones follow loop-free paths, bounded by ttl).
        String msgId = r != null ? r.msgId() : null;
        if (msgId != null && !seen.firstTime(msgId)) {
            return;
        }
        replies.learn(net, from, link, r != null ? r.originHub() : null);
        if (local.deliverSignal(msg, from, target, net)) {
            return;
        }
        int ttl = (r != null && r.ttl() >= 0 ? r.ttl() : RouteTable.MAX_TTL) - 1;
        if (ttl <= 0) {
            log.debug("Dropping {} for {}: ttl exhausted", msg.type(), PeerSession.shortId(target));
            return;
        }
        String origin = r != null && r.originHub() != null ? r.originHub() : self;
        if (forward(msg, from, target, net, msgId, ttl, origin, link) == Forward.TOO_LARGE) {
            guard.count(LinkGuard.Refusal.TOO_LARGE);
            log.debug("Dropping {} for {}: too large for the next hub link", msg.type(), PeerSession.shortId(target));
        }
    }

    /** Sweep tick: ages the de-dup window. */
    void rotate() {
        seen.rotate();
        replies.rotate();
    }

    /**
     * Sends a signal toward the hub hosting {@code target}; floods when no route is known. {@code msgId} is the
     * id of a signal that is already being flooded, else null; {@code incoming} the link it came over, else null.
     */
    private Forward forward(Inbound msg, String from, String target, String net, String msgId, int ttl, String origin,
                            HubLink incoming) {
        RemoteDirectory.Remote r = directory.get(net, target);
        long now = System.currentTimeMillis();
        // A signal we originate keeps room for later hops to re-encode it; one we forward must fit as it is.
        int margin = incoming == null ? REENCODE_MARGIN : 0;
        if (r != null && msgId == null) {
            RouteTable.Route route = links.route(r.originHub());
            HubLink next = route != null ? route.link() : r.learnedFrom();
            if (next != null && next != incoming && next.usable()) {
                return sendVia(next, r.originHub(), msg, from, target, net, ttl, origin, margin);
            }
        }
        boolean sent = false;
        boolean tooLarge = false;
        if (msgId == null) {
            msgId = newMsgId();
            seen.firstTime(msgId);
        }
        String frame = MessageCodec.relay(msg.type(), msg.data(), from, target, net, now,
                new RouteInfo(origin, msgId, ttl, -1, null));
        for (HubLink l : links.links()) {
            if (l.smart && l != incoming) {
                if (!MessageCodec.fitsUtf8(frame, l.sendLimit - margin)) {
                    tooLarge = true;
                    continue;
                }
                l.send(frame);
                sent = true;
            }
        }
        return sent ? Forward.SENT : tooLarge ? Forward.TOO_LARGE : Forward.NOWHERE;
    }

    /**
     * Sends a signal over {@code next} toward {@code targetHub} (the hub hosting the target; null: unknown), built as
     * UTF-8 bytes when its fields allow (as to a local peer: no String of the frame, no re-encoding).
     */
    private static Forward sendVia(HubLink next, String targetHub, Inbound msg, String from, String target, String net,
                                   int ttl, String origin, int margin) {
        long now = System.currentTimeMillis();
        RouteInfo route = next.smart ? new RouteInfo(origin, null, ttl, -1, targetHub) : null;
        byte[] utf8 = MessageCodec.relayUtf8(msg, from, target, net, now, route);
        if (utf8 != null) {
            if (utf8.length - MessageCodec.FRAME_HEADROOM > next.sendLimit - margin) {
                return Forward.TOO_LARGE;
            }
            next.sendUtf8(utf8);
            return Forward.SENT;
        }
        String frame = MessageCodec.relay(msg.type(), msg.data(), from, target, net, now, route);
        if (!MessageCodec.fitsUtf8(frame, next.sendLimit - margin)) {
            return Forward.TOO_LARGE; // never close a hub link because of one client's frame
        }
        next.send(frame);
        return Forward.SENT;
    }

    private static String newMsgId() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong()) + Long.toHexString(ThreadLocalRandom.current().nextLong());
    }
}

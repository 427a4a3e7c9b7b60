package dev.peerpigeon.signaling;

import dev.peerpigeon.protocol.Inbound;
import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.protocol.ProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relay of client-to-client signals to {@code targetPeerId}: to a local peer, else through the federation
 * (PROTOCOL.md section 3).
 *
 * <p>Threads: stateless apart from the shared {@link PeerRegistry} and the sender's session; called
 * concurrently for different connections, and in order for one connection.
 */
final class SignalRelay {
    private static final Logger log = LoggerFactory.getLogger(SignalingService.class);


    /** How long after its own offer a peer's initiator-conflict rejection to the same target is redundant. */
    static final long GLARE_WINDOW_MILLIS = 10_000;

    private final PeerRegistry registry;
    private final SignalingPorts ports;

    SignalRelay(PeerRegistry registry, SignalingPorts ports) {
        this.registry = registry;
        this.ports = ports;
    }


    /** Hands the signal on; true when it went to a receiver's write path or the mesh (false: dropped on purpose). */
    boolean relay(PeerSession s, Inbound msg, long now) throws ProtocolException {
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
            return false;
        }
        String net = s.effectiveNetwork();
        PeerSession t = registry.get(target);
        if (t != null && t.connection().isOpen() && net.equals(t.effectiveNetwork()) && t.hubLink() == null) {
            send(t.connection(), msg, s.peerId(), target, net, now);
            return true;
        }
        if (t == null && ports.federation.routeSignal(msg, s.peerId(), target, net)) {
            return true;
        }
        throw new ProtocolException("Peer " + target + " is not connected in network '" + net + "'");
    }

    /** Sends the relayed form of {@code msg} to {@code c}: built as bytes when it can be, else as a string. */
    static void send(Connection c, Inbound msg, String from, String target, String net, long now) {
        byte[] utf8 = MessageCodec.relayUtf8(msg, from, target, net, now);
        if (utf8 != null) {
            c.sendUtf8(utf8);
        } else {
            c.send(MessageCodec.relay(msg.type(), msg.data(), from, target, net, now, null));
        }
    }

    /** A client's claimed network, when present, must be its real one (PROTOCOL.md 9.5). */
    static void checkClaimedNetwork(PeerSession s, Inbound msg) throws ProtocolException {
        String claimed = msg.networkName();
        if (claimed != null && !claimed.isEmpty() && !claimed.equals(s.effectiveNetwork())) {
            throw new ProtocolException("networkName '" + claimed + "' is not the network you announced in ('"
                    + s.effectiveNetwork() + "')");
        }
    }
}

package dev.peerpigeon.runtime;

import dev.peerpigeon.protocol.TextFrame;
import dev.peerpigeon.federation.HubMesh;
import dev.peerpigeon.http.HttpEndpoints;
import dev.peerpigeon.http.HttpResponse;
import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.signaling.Connection;
import dev.peerpigeon.signaling.HubAccess;
import dev.peerpigeon.signaling.IpLimiter;
import dev.peerpigeon.signaling.PeerSession;
import dev.peerpigeon.signaling.SignalingService;
import dev.peerpigeon.transport.TransportHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;

/**
 * The {@link TransportHandler} of one run: plain HTTP to the endpoints, upgrades through the {@link UpgradeGate},
 * frames to signaling. Called on transport threads (per connection in order); it holds only final references.
 */
final class TransportBridge implements TransportHandler<PeerSession> {
    private static final Logger log = LoggerFactory.getLogger(TransportBridge.class);

    private final ServerRuntime.Host host;
    private final SignalingService signaling;
    private final IpLimiter ipLimiter;
    private final HubAccess hubAccess;
    private final HubMesh mesh;            // null unless a hub
    private final HttpEndpoints http;
    private final UpgradeGate gate;
    private final int maxMessageSize;
    private final boolean verbose;
    private final dev.peerpigeon.support.TrustedProxies proxies;
    private final TakeoverProbes takeovers;
    // Sessions whose client (behind a trusted proxy) holds a per-IP slot counted at the upgrade, released at close.
    private final java.util.concurrent.ConcurrentHashMap<PeerSession, InetAddress> forwarded =
            new java.util.concurrent.ConcurrentHashMap<>();

    TransportBridge(ServerRuntime.Host host, SignalingService signaling, IpLimiter ipLimiter, HubAccess hubAccess,
                    HubMesh mesh, HttpEndpoints http, UpgradeGate gate, int maxMessageSize, boolean verbose,
                    dev.peerpigeon.support.TrustedProxies proxies, TakeoverProbes takeovers) {
        this.proxies = proxies;
        this.takeovers = takeovers;
        this.host = host;
        this.signaling = signaling;
        this.ipLimiter = ipLimiter;
        this.hubAccess = hubAccess;
        this.mesh = mesh;
        this.http = http;
        this.gate = gate;
        this.maxMessageSize = maxMessageSize;
        this.verbose = verbose;
    }

    @Override
    public boolean onAccepted(InetSocketAddress remote) {
        return ipLimiter.accepted(perIpAddress(remote));
    }

    /** A trusted proxy's own address is not limited per IP: its clients are, at the upgrade (UpgradeGate). */
    private InetAddress perIpAddress(InetSocketAddress remote) {
        InetAddress a = remote == null ? null : remote.getAddress();
        return proxies.trusts(a) ? null : a;
    }

    @Override
    public void onDisconnected(InetSocketAddress remote) {
        ipLimiter.released(perIpAddress(remote));
    }

    @Override
    public void onTransportFailure(Throwable cause) {
        host.transportFailed(cause);
    }

    @Override
    public HttpResponse onRequest(RequestHead head) {
        if (!head.upgrade()) {
            String upgrade = head.header("Upgrade");
            if (upgrade != null && upgrade.equalsIgnoreCase("websocket") && !head.malformed()) {
                return http.upgradeRequired();
            }
            return http.handle(head);
        }
        return gate.check(head);
    }

    /** An upgrade for an id whose socket is open waits for the probe of that socket ({@link TakeoverProbes}). */
    @Override
    public java.util.concurrent.CompletionStage<?> holdUpgrade(RequestHead head) {
        return takeovers.hold(head);
    }

    @Override
    public PeerSession onOpen(Connection connection, RequestHead head) {
        InetSocketAddress client = gate.clientAddress(head);
        boolean counted = UpgradeGate.forwarded(head, client); // the gate counted its per-IP slot
        if (!host.accepting()) {
            connection.close(1001, "Server shutting down");
            if (counted) {
                ipLimiter.releasedForwarded(client.getAddress());
            }
            return null;
        }
        String peerId = head.queryParam("peerId");
        if (!dev.peerpigeon.protocol.PeerId.isValid(peerId)) {
            // Admitted by the gate only to be closed here, like the reference: no frame of it is ever processed.
            connection.close(1008, "Invalid peerId format");
            if (counted) {
                ipLimiter.releasedForwarded(client.getAddress());
            }
            return null;
        }
        PeerSession session = signaling.open(connection, peerId);
        if (session != null) {
            session.hubAuthorized(hubAccess.authorized(client == null ? addressOf(connection) : client.getAddress(),
                    UpgradeGate.presentedSecret(head)));
            if (counted) {
                forwarded.put(session, client.getAddress());
            }
        } else if (counted) {
            ipLimiter.releasedForwarded(client.getAddress());
        }
        return session;
    }

    @Override
    public Map<String, String> upgradeHeaders() {
        return mesh == null ? Map.of() : mesh.upgradeHeaders();
    }

    @Override
    public void onMessage(PeerSession session, TextFrame text) {
        if (verbose) {
            String shown = text.toString();
            log.info("<- {}: {}", session, shown.length() > 500 ? shown.substring(0, 500) + "…" : shown);
        }
        if (session.hubLink() != null) { // hub-link frames go straight to federation, never through signaling
            mesh.onLinkFrame(session, text);
            return;
        }
        if (mesh != null && text.length() > maxMessageSize) {
            // The transport allows link headroom on hubs; clients keep the client limit (same answer: 1009).
            session.connection().close(1009, "Message too big");
            return;
        }
        signaling.onMessage(session, text);
    }

    @Override
    public void onUndecodable(PeerSession session, String reason) {
        session.connection().send(MessageCodec.error(reason, session.effectiveNetwork(), System.currentTimeMillis()));
    }

    @Override
    public void onPong(PeerSession session) {
        session.touch(System.currentTimeMillis());
    }

    @Override
    public boolean onPing(PeerSession session) {
        return signaling.onPing(session);
    }

    @Override
    public void onClose(PeerSession session, int code, String reason, boolean remote) {
        // The per-IP slot is released by the transport (onDisconnected) on every close path, registered or not;
        // a forwarded client's slot (counted at the upgrade) here.
        InetAddress client = forwarded.remove(session);
        if (client != null) {
            ipLimiter.releasedForwarded(client);
        }
        signaling.close(session, code, reason);
    }

    private static InetAddress addressOf(Connection c) {
        InetSocketAddress a = c.remoteAddress();
        return a == null ? null : a.getAddress();
    }
}

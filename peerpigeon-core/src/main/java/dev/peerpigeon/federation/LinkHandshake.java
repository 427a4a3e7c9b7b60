package dev.peerpigeon.federation;

import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.signaling.LocalDelivery;
import dev.peerpigeon.signaling.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Opening a hub link, both ways: the header of our 101 and the announce we send when we dial; on an outbound
 * link, the remote's identity and namespace from its 101 header; on an inbound one, the announce that turns a
 * connection into a link (namespace, hub authentication, hub ids never used by plain peers). Stateless apart from
 * the shared frame counter; called on transport and link reader threads.
 */
final class LinkHandshake {
    private static final Logger log = LoggerFactory.getLogger(HubMesh.class);

    private final MeshSettings settings;
    private final LinkTable links;
    private final LocalDelivery local;
    private final AtomicLong framesSent;

    LinkHandshake(MeshSettings settings, LinkTable links, LocalDelivery local, AtomicLong framesSent) {
        this.settings = settings;
        this.links = links;
        this.local = local;
        this.framesSent = framesSent;
    }

    int linkLimit() {
        return HubMesh.linkFrameLimit(settings.maxFrameSize());
    }

    /** Headers of every 101 response: lets a dialing Java hub check identity and namespace before it announces. */
    Map<String, String> upgradeHeaders() {
        return Map.of(HubMesh.HUB_HEADER, settings.hubId() + " " + settings.namespace() + " " + HubMesh.CAPABILITY
                + " maxFrame=" + linkLimit());
    }

    /** Request header of a link dialed by the mesh maintenance: the dialed hub may refuse it at its link limit. */
    static final String LEARNED_HEADER = "X-PeerPigeon-Learned-Link";

    String announce(int boundPort, String selfUri, boolean learned) {
        return LinkFrames.announce(settings.namespace(), settings.host(), boundPort, linkLimit(), System.currentTimeMillis(),
                selfUri, learned);
    }

    /** The upgrade request headers of a dial: the hub header, plus the learned-link marker for maintenance dials. */
    Map<String, String> requestHeaders(boolean learned) {
        if (!learned) {
            return upgradeHeaders();
        }
        Map<String, String> h = new java.util.HashMap<>(upgradeHeaders());
        h.put(LEARNED_HEADER, "1");
        return h;
    }

    /**
     * Where the hub that dialed us over {@code session} can be dialed: the {@code uri} it announced, else the address
     * it connected from with the port it announced (scheme: ours). Null when neither is known.
     */
    URI announcedAddress(PeerSession session, String data) {
        com.google.gson.JsonObject o = LinkFrames.object(data);
        if (o == null) {
            return null;
        }
        if (o.has("uri") && o.get("uri").isJsonPrimitive()) {
            URI u = LinkFrames.dialable(o.get("uri").getAsString());
            if (u != null) {
                return u;
            }
        }
        java.net.InetSocketAddress remote = session.connection().remoteAddress();
        long port = o.has("port") && o.get("port").isJsonPrimitive() ? LinkFrames.parseLong(o.get("port").getAsString()) : 0;
        if (remote == null || remote.getAddress() == null || port <= 0 || port > 65535) {
            return null;
        }
        String host = remote.getAddress() instanceof java.net.Inet6Address
                ? "[" + remote.getAddress().getHostAddress() + "]" : remote.getAddress().getHostAddress();
        return LinkFrames.dialable((settings.tls() ? "wss" : "ws") + "://" + host + ":" + port);
    }

    /** Why an outbound link is closed right after its upgrade. */
    enum Refused { SELF, NAMESPACE }

    /** The link an outbound upgrade opened, or why it is refused. */
    record Outbound(HubLink link, Refused refused) {
    }

    /** Identifies the hub that answered our upgrade (a reference hub sends no header: it gets a synthetic id). */
    Outbound outbound(HubConnector.Attempt conn, URI shown, Map<String, String> headers) {
        String header = headers.get(HubMesh.HUB_HEADER);
        String remoteId;
        boolean smart;
        long advertised = 0;
        if (header != null) {
            LinkFrames.HubHeader h = LinkFrames.HubHeader.parse(header);
            remoteId = h.hubId();
            smart = h.smart();
            advertised = h.maxFrame();
            if (remoteId.equals(settings.hubId())) {
                log.info("Bootstrap hub {} is this hub itself; not dialing it again", shown);
                conn.close(1000, "Self connection");
                return new Outbound(null, Refused.SELF);
            }
            if (!h.namespace().equals(settings.namespace())) {
                log.warn("Refusing hub link to {}: it is in hub mesh namespace '{}', this hub is in '{}'",
                        shown, h.namespace(), settings.namespace());
                conn.close(1008, "Hub namespace mismatch");
                return new Outbound(null, Refused.NAMESPACE);
            }
        } else {
            remoteId = ReferenceHubCompat.syntheticHubId();
            smart = false;
        }
        return new Outbound(newLink(conn, true, shown, remoteId, smart, null, advertised), null);
    }

    /** What an announce on a client connection means for the federation. */
    enum Verdict { NOT_A_LINK, HANDLED, NEW_LINK }

    /** A verdict, with the new link on {@link Verdict#NEW_LINK}. */
    record Announced(Verdict verdict, HubLink link) {
        static final Announced NOT_A_LINK = new Announced(Verdict.NOT_A_LINK, null);
        static final Announced HANDLED = new Announced(Verdict.HANDLED, null);
    }

    /**
     * Decides whether an announce makes {@code session} a hub link; on {@link Verdict#NEW_LINK} the caller sets
     * the new link on the session. Refusals are answered here (error + close, or signaling's hub-authentication answer).
     */
    Announced inbound(PeerSession session, String networkName, boolean dataIsHub, String data) {
        boolean inNamespace = networkName.equals(settings.namespace());
        if (!inNamespace && !dataIsHub) {
            if (session.hubLink() == null && links.isKnownHubId(session.peerId())) {
                // Hub ids and peer ids never mix: a plain peer cannot pose as a hub others route to.
                log.info("Refused announce of {} ({}): its id belongs to a hub of this mesh",
                        PeerSession.shortId(session.peerId()), session.connection().remoteAddress());
                session.connection().send(MessageCodec.error("Peer id belongs to a hub of this mesh", networkName,
                        System.currentTimeMillis()));
                session.connection().close(1008, "Peer id belongs to a hub");
                return Announced.HANDLED;
            }
            return Announced.NOT_A_LINK;
        }
        if (!session.hubAuthorized()) {
            // Before the namespace check: an unauthorized dialer learns nothing about this mesh.
            local.refuseHubLink(session, networkName);
            return Announced.HANDLED;
        }
        if (!inNamespace) {
            log.warn("Refused hub link from {} ({}): it announced hub mesh namespace '{}', this hub is in '{}'",
                    PeerSession.shortId(session.peerId()), session.connection().remoteAddress(), networkName,
                    settings.namespace());
            session.connection().send(MessageCodec.error("Hub namespace mismatch: this hub is in namespace '"
                    + settings.namespace() + "', you announced '" + networkName + "'", networkName, System.currentTimeMillis()));
            session.connection().close(1008, "Hub namespace mismatch");
            return Announced.HANDLED;
        }
        if (session.hubLink() != null) {
            return Announced.HANDLED; // re-announce of an existing link
        }
        boolean smart = data.contains(HubMesh.CAPABILITY);
        // Not yet set on the session: the caller wires the link's handlers first, then publishes it.
        HubLink link = newLink(session.connection(), false, null, session.peerId(), smart, data,
                LinkFrames.announcedLimit(data));
        link.learned = data.contains("\"learned\":true");
        link.address = smart ? announcedAddress(session, data) : null;
        return new Announced(Verdict.NEW_LINK, link);
    }

    private HubLink newLink(dev.peerpigeon.signaling.Connection conn, boolean outbound, URI uri, String remoteId,
                            boolean smart, String data, long advertised) {
        return new HubLink(conn, outbound, uri, remoteId, smart, data,
                ReferenceHubCompat.sendLimit(smart, advertised, settings.maxFrameSize()), settings.maxRemotePeers(),
                framesSent);
    }
}

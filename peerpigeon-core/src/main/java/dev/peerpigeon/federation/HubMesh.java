package dev.peerpigeon.federation;

import dev.peerpigeon.protocol.TextFrame;
import dev.peerpigeon.protocol.Inbound;
import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.protocol.ProtocolException;
import dev.peerpigeon.signaling.Federation;
import dev.peerpigeon.signaling.LocalDelivery;
import dev.peerpigeon.signaling.PeerSession;
import dev.peerpigeon.signaling.SignalingService;
import dev.peerpigeon.support.Redaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The hub mesh: this hub's {@link Federation}. A facade over its parts, each with one job: {@link Dialer} (dials
 * and redials through a {@link HubConnector}), {@link LinkHandshake} (opening links), {@link LinkTable} and
 * {@link RouteTable} (links and path-vector routes), {@link DirectorySync} and {@link RemoteDirectory} (the remote
 * peer directory), {@link SignalRouter} (signals between hubs), {@link ReferenceHubCompat}, {@link LinkGuard}
 * (checks and refusal counters) and {@link LinkFrames} (frame encoding and parsing). It owns the lifecycle, the
 * dispatch of link frames and the route changes.
 *
 * <p><b>Protocol.</b> With reference JS hubs we speak the reference's link protocol (PROTOCOL.md 6.2-6.6).
 * Between Java hubs (both advertise {@value #CAPABILITY}) we add {@code originHub}/{@code seq} on directory
 * updates, {@code msgId}/{@code ttl}/{@code targetHub} on signals, and {@code hub-routes}/{@code hub-sync}.
 *
 * <p><b>Threads.</b> Directory, route and dialer changes run on the single mesh thread ({@link MeshThread});
 * link frames arrive on transport threads (inbound links) and link reader threads (outbound), which check them
 * and post. Frames go from the transport straight here ({@link #onLinkFrame}); what is for local peers goes down
 * through {@link LocalDelivery}.
 */
public final class HubMesh implements Federation {
    private static final Logger log = LoggerFactory.getLogger(HubMesh.class);

    public static final String CAPABILITY = "pp-route-v1";
    /** Response header of a Java hub's 101: {@code <hubId> <namespace> <capability>}. */
    public static final String HUB_HEADER = "X-PeerPigeon-Hub";
    /** Request header of a link a hub's mesh maintenance dials (refused with 503 by a hub at its link limit). */
    public static final String LEARNED_LINK_HEADER = LinkHandshake.LEARNED_HEADER;
    /** Bytes a hub link accepts beyond the client frame limit: room for the routing fields of a relayed signal. */
    public static final int LINK_HEADROOM = 16 * 1024;
    static final int MAX_TTL = RouteTable.MAX_TTL;
    static final long SEQ_SLACK_MILLIS = LinkGuard.SEQ_SLACK_MILLIS;
    static final int MAX_HUBS_PER_LINK = RouteTable.MAX_HUBS_PER_LINK;
    static final int DIRECTORY_RATE = LinkGuard.DIRECTORY_RATE;

    /** The frame limit of a hub link for a server whose clients may send {@code clientLimit} bytes. */
    public static int linkFrameLimit(int clientLimit) {
        return (int) Math.min(Integer.MAX_VALUE, (long) clientLimit + LINK_HEADROOM);
    }

    private final MeshSettings settings;
    private final LocalDelivery local;
    private final MeshObserver observer;
    private final MeshThread thread;
    private final AtomicLong framesSent = new AtomicLong();
    private final LinkTable links;
    private final LinkGuard guard = new LinkGuard();
    private final RemoteDirectory directory;
    private final SignalRouter router;
    private final DirectorySync sync;
    private final LinkHandshake handshake;
    private final Dialer dialer;
    private final RouteAdverts adverts;
    private final MeshMaintainer maintainer;

    public HubMesh(MeshSettings settings, LocalDelivery local, MeshObserver observer, HubConnector connector) {
        this.settings = settings;
        this.local = local;
        this.observer = observer;
        this.thread = new MeshThread("peerpigeon-mesh-" + PeerSession.shortId(settings.hubId()));
        this.links = new LinkTable(settings.hubId());
        this.directory = new RemoteDirectory(settings.maxRemotePeers(), local);
        this.router = new SignalRouter(settings.hubId(), links, directory, local, guard);
        this.sync = new DirectorySync(settings.hubId(), local, links, directory, guard, thread, observer);
        this.handshake = new LinkHandshake(settings, links, local, framesSent);
        this.adverts = new RouteAdverts(settings, links, directory, guard);
        this.dialer = new Dialer(settings, connector, thread, handshake, observer, new Dialer.Links() {
            @Override
            public void up(HubLink link, Dialer.Target target) {
                linkUp(link);
            }

            @Override
            public void down(HubLink link, Dialer.Target target, int code, String reason) {
                linkDown(link);
                if (target.learnedHubId != null) {
                    log.info("Hub link to {} closed: {} {}", target.shown, code, reason);
                    return;
                }
                log.info("Disconnected from bootstrap hub {}: {} {}", target.shown, code, reason);
                observer.bootstrapDisconnected(target.shown, code, reason);
            }

            @Override
            public void learnedEnded(Dialer.Target target, boolean wasLinked) {
                maintainer.ended(target, wasLinked);
            }

            @Override
            public void frame(HubLink link, TextFrame text) {
                onFrame(link, text);
            }
        });
        this.maintainer = new MeshMaintainer(settings, links, dialer);
        adverts.addresses(maintainer::advertised);
    }

    public String hubId() {
        return settings.hubId();
    }

    /** Headers of every 101 response: lets a dialing Java hub check identity and namespace before it announces. */
    public Map<String, String> upgradeHeaders() {
        return handshake.upgradeHeaders();
    }

    // ------------------------------------------------------------------ lifecycle

    /** Starts dialing (after the server bound {@code port}) and the periodic sweep. */
    public void start(int port) {
        String self = MeshMaintainer.selfUri(settings, port);
        dialer.boundPort(port, self);
        thread.post(() -> maintainer.selfUri(self));
        List<URI> targets = new ArrayList<>(settings.bootstrap());
        if (targets.isEmpty() && settings.defaultBootstrapPort() > 0 && port != settings.defaultBootstrapPort()) {
            URI def = URI.create("ws://" + dialableHost(settings.host()) + ":" + settings.defaultBootstrapPort());
            log.info("No bootstrap hubs specified, trying default: {}", def);
            targets.add(def);
        }
        boolean explicit = !settings.bootstrap().isEmpty();
        if (settings.autoConnect()) {
            for (URI uri : targets) {
                if (dialer.isSelf(uri)) {
                    log.info("Skipping bootstrap hub {}: it is this hub", Redaction.uri(uri));
                    continue;
                }
                dialer.add(uri, explicit);
            }
        } else if (!targets.isEmpty()) {
            log.info("autoConnect is off: not dialing {} bootstrap hub(s)", targets.size());
        }
        thread.every(this::sweep, settings.sweepMillis());
        thread.every(() -> maintainer.tick(thread.stopped()), MeshMaintainer.TICK_MILLIS);
    }

    /** True when this hub refuses a link another hub's mesh maintenance dials: it has hubMeshMaxPeers links. */
    public boolean atLinkLimit() {
        return maintainer.atLimit();
    }

    /** Closes every link ("Hub shutting down") and stops redialing. Bounded. */
    public void stop() {
        thread.markStopped();
        for (HubLink l : links.links()) {
            l.conn.close(1000, "Hub shutting down");
        }
        dialer.closePending(1000, "Hub shutting down");
        thread.shutdown();
    }

    /** Dials {@code uri} now (in addition to the bootstrap list), with the same redial policy. */
    public void connectToHub(URI uri) {
        dialer.add(uri, true);
    }

    /** {@link #dialUri(URI, boolean)} of an explicitly configured hub (it carries the secret). */
    URI dialUri(URI uri) {
        return dialer.dialUri(uri, true);
    }

    URI dialUri(URI uri, boolean withSecret) {
        return dialer.dialUri(uri, withSecret);
    }

    boolean isSelf(URI uri) {
        return dialer.isSelf(uri);
    }

    private static String dialableHost(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") ? "127.0.0.1" : host;
    }

    // ------------------------------------------------------------------ Federation (transport threads)

    @Override
    public boolean onHubAnnounce(PeerSession session, String networkName, boolean dataIsHub, String data) {
        LinkHandshake.Announced a = handshake.inbound(session, networkName, dataIsHub, data);
        if (a.verdict() == LinkHandshake.Verdict.NEW_LINK) {
            HubLink link = a.link();
            link.handlers(text -> onInboundFrame(session, link, text), () -> thread.post(() -> linkDown(link)));
            session.hubLink(link); // from now on its frames come to onLinkFrame
            thread.post(() -> {
                linkUp(link);
                log.info("Hub {} linked in{}", PeerSession.shortId(link.remoteHubId), link.smart ? "" : " (reference hub)");
            });
        }
        return a.verdict() != LinkHandshake.Verdict.NOT_A_LINK;
    }

    @Override
    public void localPeerJoined(PeerSession session, String networkName) {
        if (!session.isHub()) {
            sync.localJoined(session.peerId(), session.discoveryData(), networkName);
        }
    }

    @Override
    public void localPeerLeft(PeerSession session, String networkName, boolean goodbye) {
        if (!session.isHub()) {
            sync.localLeft(session.peerId(), networkName, goodbye);
        }
    }

    @Override
    public boolean routeSignal(Inbound msg, String fromPeerId, String targetPeerId, String networkName)
            throws ProtocolException {
        return router.route(msg, fromPeerId, targetPeerId, networkName);
    }

    @Override
    public void sendRemotePeers(PeerSession session, String networkName) {
        sync.sendRemotePeers(session, networkName);
    }

    /** True when {@code peerId} is live on another hub (in the remote directory, in any network). */
    @Override
    public boolean isLiveElsewhere(String peerId) {
        return directory.isLive(peerId);
    }

    // ------------------------------------------------------------------ link frames (any thread)

    /** A frame of an inbound link (its session's transport thread): liveness, and an error for garbage. */
    private void onInboundFrame(PeerSession session, HubLink link, TextFrame text) {
        long now = System.currentTimeMillis();
        session.touch(now);
        Inbound msg;
        try {
            msg = MessageCodec.parse(text);
        } catch (ProtocolException e) {
            log.debug("{}: {}", session, e.getMessage());
            session.connection().send(MessageCodec.error(e.getMessage(), session.effectiveNetwork(), now));
            return;
        }
        handleFrame(link, msg);
    }

    /** A frame of an outbound link (its reader thread). */
    private void onFrame(HubLink link, TextFrame text) {
        Inbound msg;
        try {
            msg = MessageCodec.parse(text);
        } catch (Exception e) {
            log.debug("Unparseable frame on {}: {}", link, e.getMessage());
            return;
        }
        handleFrame(link, msg);
    }

    private void handleFrame(HubLink link, Inbound msg) {
        link.lastActivity = System.currentTimeMillis();
        String type = msg.type();
        if (type == null) {
            return;
        }
        switch (type) {
            case "peer-discovered" -> sync.onDiscovered(link, msg);
            case "peer-disconnected" -> sync.onDisconnected(link, msg);
            case "hub-routes" -> {
                if (link.smart) {
                    link.pendingRoutes = msg.data();
                    if (link.routesQueued.compareAndSet(false, true)) {
                        thread.post(() -> {
                            link.routesQueued.set(false);
                            String routes = link.pendingRoutes;
                            if (links.contains(link)) {
                                maintainer.learnFrom(link, routes);
                            }
                            adverts.apply(link, routes);
                        });
                    }
                }
            }
            case "hub-sync" -> sync.onSyncRequest(link, msg);
            case "ping" -> link.send(MessageCodec.pong(link.remoteHubId, System.currentTimeMillis()));
            case "goodbye" -> {
                if (msg.targetPeerId() != null) {
                    router.onRemoteSignal(link, msg);
                }
            }
            case "connected", "pong", "announce", "peer-announce-relay", "client-signal-relay" -> {
                // nothing to do (P2P-mode relays of the reference are dead code in 1.1.3)
            }
            case "error" -> log.debug("{} answered error: {}", link, msg.data());
            default -> {
                if (SignalingService.RELAYED_TYPES.contains(type)) {
                    router.onRemoteSignal(link, msg);
                } else {
                    log.debug("Ignoring '{}' on {}", type, link);
                }
            }
        }
    }

    // ------------------------------------------------------------------ links and routes (mesh thread)

    private void linkUp(HubLink link) {
        if (thread.stopped()) {
            link.conn.close(1000, "Hub shutting down");
            return;
        }
        if (!link.conn.isOpen()) {
            return;
        }
        links.add(link);
        maintainer.linked(link); // its address is in our adverts from now on
        // Routes before the directory: the other side accepts an entry only from its route toward the entry's origin.
        if (link.smart) {
            link.send(adverts.advert(links.routes()));
        }
        // Full directory exchange: our local peers and everything we know of other hubs.
        sync.sendDirectory(link, System.currentTimeMillis());
        adverts.recompute(null);
        observer.hubRegistered(link.remoteHubId, links.size());
    }

    private void linkDown(HubLink link) {
        link.down = true;
        if (!links.remove(link)) {
            return;
        }
        log.info("Hub link down: {}", link);
        adverts.recompute(null);
        // Peers learned from a reference hub over this link are gone with it.
        Map<String, RouteTable.Route> routes = links.routes();
        for (RemoteDirectory.Remote r : directory.entries()) {
            if (r.learnedFrom() == link && !routes.containsKey(r.originHub())) {
                directory.remove(r);
            }
        }
        observer.hubUnregistered(link.remoteHubId, links.size());
    }

    /** Periodic: expire orphaned entries and tombstones, refresh reference hubs' view of our peers. */
    private void sweep() {
        try {
            long now = System.currentTimeMillis();
            directory.sweep(now, 3 * settings.sweepMillis(), links.routes().keySet());
            links.expireRecent(now);
            router.rotate();
            sync.reference().refreshAll();
        } catch (RuntimeException e) {
            log.error("Hub mesh sweep failed", e);
        }
    }

    // ------------------------------------------------------------------ stats

    /** Frames this hub has sent on hub links since start (for measurements). */
    public long linkFramesSent() {
        return framesSent.get();
    }

    /** Frames refused on hub links since start, by reason (for {@code /hubstats}). */
    public Map<String, Long> refusalCounts() {
        return guard.counts();
    }

    /** True when {@code id} is this hub's, a linked or reachable hub's, or one reachable within the last hour. */
    public boolean isKnownHubId(String id) {
        return links.isKnownHubId(id);
    }

    /** Snapshot of one link for stats. */
    public record LinkInfo(String hubId, String direction, URI uri, boolean reference, long connectedAt, long lastActivity,
                           String data) {
    }

    /** Snapshot of one dialer for stats. */
    public record DialerInfo(URI uri, boolean connected, long lastAttempt, int attemptNumber, long nextAttemptAt,
                             String remoteHubId, boolean abandoned) {
    }

    public List<LinkInfo> linkInfos() {
        List<LinkInfo> out = new ArrayList<>();
        for (HubLink l : links.links()) {
            out.add(new LinkInfo(l.shownHubId(), l.outbound ? "out" : "in", l.uri, !l.smart, l.connectedAt, l.lastActivity,
                    l.announceData));
        }
        return out;
    }

    public List<DialerInfo> dialerInfos() {
        List<DialerInfo> out = new ArrayList<>();
        for (Dialer.Target d : dialer.targets()) {
            if (d.learnedHubId != null) {
                continue; // a link of the mesh maintenance, not a bootstrap hub (it shows in the links)
            }
            HubLink l = d.link;
            out.add(new DialerInfo(d.shown, l != null, d.lastAttempt, d.attemptNumber, d.nextAttemptAt,
                    l == null ? null : l.shownHubId(), d.abandoned));
        }
        return out;
    }

    /** The mesh as this hub knows it, for {@code /status} (see {@link MeshGraph}). */
    public MeshGraph.Snapshot snapshot() {
        return MeshGraph.of(settings.hubId(), links, directory);
    }

    /** Peers of other hubs currently known. */
    public int remotePeerCount() {
        return directory.size();
    }

    /** Number of links on the best path to {@code hubId}, or -1 when unreachable. */
    public int pathLength(String hubId) {
        RouteTable.Route r = links.route(hubId);
        return r == null ? -1 : r.path().size() - 1;
    }

    /** Hubs reachable through the mesh (not counting this one). */
    public int reachableHubCount() {
        return links.routes().size();
    }

    /** True when {@code peerId} in {@code network} is known on another hub. */
    public boolean knowsRemote(String network, String peerId) {
        return directory.get(network, peerId) != null;
    }

    @Override
    public String toString() {
        return "HubMesh[" + PeerSession.shortId(settings.hubId()) + " " + settings.namespace() + ", links="
                + links.size() + ", remotePeers=" + remotePeerCount() + "]";
    }
}

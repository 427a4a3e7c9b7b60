package dev.peerpigeon.runtime;

import dev.peerpigeon.AdmissionHook;
import dev.peerpigeon.federation.HubMesh;
import dev.peerpigeon.http.HttpEndpoints;
import dev.peerpigeon.http.HttpResponse;
import dev.peerpigeon.http.RequestHead;
import dev.peerpigeon.protocol.PeerId;
import dev.peerpigeon.signaling.Federation;
import dev.peerpigeon.signaling.HubAccess;
import dev.peerpigeon.signaling.IpLimiter;
import dev.peerpigeon.signaling.PeerRegistry;
import dev.peerpigeon.signaling.PeerSession;
import dev.peerpigeon.signaling.SignalingService;
import dev.peerpigeon.support.LogThrottle;
import dev.peerpigeon.support.Meters;
import dev.peerpigeon.support.Redaction;
import dev.peerpigeon.support.TrustedProxies;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pre-upgrade admission, in order: self dial, hub secret and protected mode, per-IP limits, a missing or invalid
 * peer id (accepted, then closed 1008 at open, see {@link #invalidPeerId}), federation id rules, the registry's duplicate and capacity checks, then the application's {@link AdmissionHook}. Answers
 * with the HTTP refusal, or null to accept. Called on transport threads, concurrently; its only state is two
 * log throttles (thread-safe), the rest are final references to thread-safe components.
 */
final class UpgradeGate {
    private static final Logger log = LoggerFactory.getLogger(UpgradeGate.class);

    private final PeerRegistry registry;
    private final SignalingService signaling;
    private final IpLimiter ipLimiter;
    private final HubAccess hubAccess;
    private final HubMesh mesh;           // null unless a hub
    private final Federation federation;  // the run's (hub mesh, cluster, both or NONE): the 409 of ids live elsewhere
    private final HttpEndpoints http;
    private final AdmissionHook hook;     // null when none
    private final int maxConnections;
    private final Meters meters;
    private final LogThrottle fullLog = LogThrottle.perSecond();
    private final LogThrottle hookLog = LogThrottle.perSecond();
    private final StatsCollector stats;
    private final TrustedProxies proxies;
    private final String namespace;
    // Next time (ms) a namespace refusal from an address may be logged: one line a minute per address. Bounded:
    // cleared when it grows past NAMESPACE_LOG_ADDRESSES (some lines then come early, none are lost for long).
    private final java.util.concurrent.ConcurrentHashMap<java.net.InetAddress, Long> namespaceLogAt =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final int NAMESPACE_LOG_ADDRESSES = 1024;
    static final long NAMESPACE_LOG_MILLIS = 60_000;
    /** HTTP reason phrase of the namespace refusal; a dialing Java hub reads the namespace back from it. */
    public static final String NAMESPACE_REASON_PREFIX = "Hub Namespace Mismatch: this hub is in ";

    UpgradeGate(PeerRegistry registry, SignalingService signaling, IpLimiter ipLimiter, HubAccess hubAccess,
                HubMesh mesh, Federation federation, HttpEndpoints http, AdmissionHook hook, int maxConnections, Meters meters,
                StatsCollector stats, String namespace, TrustedProxies proxies) {
        this.meters = meters;
        this.proxies = proxies;
        this.stats = stats;
        this.namespace = namespace;
        this.registry = registry;
        this.signaling = signaling;
        this.ipLimiter = ipLimiter;
        this.hubAccess = hubAccess;
        this.mesh = mesh;
        this.federation = federation;
        this.http = http;
        this.hook = hook;
        this.maxConnections = maxConnections;
    }

    /**
     * The client address of a request: the TCP peer, or behind a trusted proxy the forwarded address (see
     * {@link TrustedProxies}); the port is the TCP peer's when it is the TCP peer, else 0.
     */
    InetSocketAddress clientAddress(RequestHead head) {
        InetSocketAddress tcp = head.remote();
        if (tcp == null || proxies.isEmpty()) {
            return tcp;
        }
        InetAddress client = proxies.clientAddress(tcp.getAddress(), head.header("Forwarded"), head.header("X-Forwarded-For"));
        return client == tcp.getAddress() ? tcp : new InetSocketAddress(client, 0);
    }

    /** True when the per-IP slot of this client is counted at the upgrade (a client behind a trusted proxy). */
    static boolean forwarded(RequestHead head, InetSocketAddress client) {
        return client != null && client != head.remote();
    }

    HttpResponse check(RequestHead head) {
        InetSocketAddress client = clientAddress(head);
        boolean forwarded = forwarded(head, client);
        if (forwarded) {
            String limited = ipLimiter.admitForwarded(client.getAddress());
            if (limited != null) {
                log.debug("Refused upgrade from {} (via {}): {}", client, head.remote(), limited);
                return http.refusal(429, "Too Many Requests", limited);
            }
        }
        HttpResponse refused = check(head, client, forwarded);
        if (refused != null && forwarded) {
            ipLimiter.releasedForwarded(client.getAddress()); // counted above, refused after all
        }
        return refused;
    }

    private HttpResponse check(RequestHead head, InetSocketAddress client, boolean forwarded) {
        String peerId = head.queryParam("peerId");
        boolean validId = PeerId.isValid(peerId);
        if (validId && mesh != null && peerId.equals(mesh.hubId())) {
            log.info("Refused upgrade from {}: it carries this hub's own id (a hub dialing itself)", client);
            return http.refusal(508, "Loop Detected", "Self connection");
        }
        String presented = presentedSecret(head);
        // A credential that does not match is refused whoever presents it; a dialer that says it is a hub
        // (Java hubs send X-PeerPigeon-Hub) and is not authorized is refused here, before the upgrade.
        if (hubAccess.hasSecret() && presented != null && !hubAccess.secretMatches(presented)) {
            hubAccess.logRefusal(client, "hub upgrade (wrong hub secret)");
            meters.refused(Meters.Refusal.HUB_AUTH);
            return http.refusal(403, "Forbidden", "Invalid hub secret");
        }
        if (head.header(HubMesh.HUB_HEADER) != null
                && !hubAccess.authorized(client == null ? null : client.getAddress(), presented)) {
            hubAccess.logRefusal(client, "hub upgrade");
            meters.refused(Meters.Refusal.HUB_AUTH);
            return http.refusal(403, "Forbidden", HubAccess.REFUSAL);
        }
        boolean hubCredential = hubAccess.hasSecret() && presented != null; // it matched, checked just above
        if (mesh != null && validId) {
            HttpResponse other = otherNamespace(head, client); // after hub auth: an unauthorized dialer learns nothing
            if (other != null) {
                return other;
            }
            if (head.header(HubMesh.LEARNED_LINK_HEADER) != null && mesh.atLinkLimit()) {
                log.debug("Refused a learned hub link from {}: at hubMeshMaxPeers", client);
                return http.refusal(503, "Service Unavailable", "Hub link limit reached");
            }
        }
        String limited = forwarded ? null : ipLimiter.tryAdmit(client == null ? null : client.getAddress());
        if (limited != null) {
            log.debug("Refused upgrade from {}: {}", client, limited);
            meters.refused(limited.contains(IpLimiter.PER_SECOND) ? Meters.Refusal.RATE_LIMITED : Meters.Refusal.PER_IP);
            return http.refusal(429, "Too Many Requests", limited);
        }
        if (!validId) {
            return invalidPeerId(client);
        }
        if (mesh != null || federation != Federation.NONE) {
            HttpResponse refused = federationAdmission(peerId, hubCredential);
            if (refused != null) {
                meters.refused(Meters.Refusal.DUPLICATE); // every federation refusal is an id already taken
                return refused;
            }
        }
        return switch (registry.admit(peerId)) {
            case DUPLICATE -> {
                log.debug("Refused upgrade of {}: already connected", PeerSession.shortId(peerId));
                meters.refused(Meters.Refusal.DUPLICATE);
                yield http.refusal(409, "Conflict", "Peer already connected");
            }
            case FULL -> {
                meters.refused(Meters.Refusal.FULL);
                int suppressed = fullLog.tryAcquire(); // clients can repeat this at will: one line a second
                if (suppressed >= 0) {
                    log.warn("Refused upgrade of {}: maximum connections ({}) reached{}", PeerSession.shortId(peerId),
                            maxConnections, LogThrottle.suffix(suppressed));
                }
                yield http.refusal(503, "Service Unavailable", "Maximum connections reached");
            }
            case ACCEPT -> admissionHook(head, client, peerId);
        };
    }

    /**
     * A missing or malformed peerId: like the reference, the upgrade is accepted and the socket then closed 1008
     * "Invalid peerId format" ({@link TransportBridge#onOpen}; no frame of it is processed), so a bare readiness
     * probe ({@code new WebSocket(url)}) sees {@code open}. Only the refusals that protect the server come before:
     * hub authentication (403), per-IP limits (429, checked by the caller) and a full server (503).
     */
    private HttpResponse invalidPeerId(InetSocketAddress client) {
        if (registry.connectionCount() >= maxConnections) {
            meters.refused(Meters.Refusal.FULL);
            return http.refusal(503, "Service Unavailable", "Maximum connections reached");
        }
        meters.refused(Meters.Refusal.INVALID_PEER_ID); // refused all the same, after the upgrade
        log.debug("Upgrade from {} without a valid peerId: accepted, then closed 1008", client);
        return null;
    }

    /**
     * A Java hub says its namespace in its upgrade request ({@code X-PeerPigeon-Hub: <hubId> <namespace> ...}); one
     * of another namespace is refused before the upgrade with 409, counted, and logged naming both namespaces at
     * most once a minute per address (a refused hub keeps redialing with backoff).
     */
    private HttpResponse otherNamespace(RequestHead head, InetSocketAddress remote) {
        String header = head.header(HubMesh.HUB_HEADER);
        if (header == null) {
            return null;
        }
        String[] parts = header.trim().split(" +");
        if (parts.length < 2 || parts[1].equals(namespace)) {
            return null;
        }
        stats.countNamespaceRefusal();
        meters.refused(Meters.Refusal.NAMESPACE);
        String theirs = parts[1].matches("[a-z0-9-]{1,64}") ? parts[1] : "(invalid)"; // client text: never raw in logs
        java.net.InetAddress addr = remote == null ? null : remote.getAddress();
        long now = System.currentTimeMillis();
        if (addr != null && namespaceLogAt.size() > NAMESPACE_LOG_ADDRESSES) {
            namespaceLogAt.clear();
        }
        Long next = addr == null ? null : namespaceLogAt.get(addr);
        if (addr == null || next == null || now >= next) {
            if (addr != null) {
                namespaceLogAt.put(addr, now + NAMESPACE_LOG_MILLIS);
            }
            log.warn("Refused hub link from {}: it is in hub mesh namespace '{}', this hub is in '{}' (HTTP 409;"
                    + " set the same HUB_MESH_NAMESPACE on both hubs)", remote, theirs, namespace);
        }
        return http.refusal(409, NAMESPACE_REASON_PREFIX + "'" + namespace + "'",
                "Hub namespace mismatch: this hub is in namespace '" + namespace + "'");
    }

    /**
     * Ids are unique across the federation, and hub ids and peer ids never block each other: an id live on
     * another hub is refused (409); with a hub secret, a plain peer using a known hub's id is refused (409);
     * a hub entitled to its id (it presents the secret, or, without a secret, its id is a known hub's)
     * displaces a plain peer holding it.
     */
    private HttpResponse federationAdmission(String peerId, boolean hubCredential) {
        if (!hubCredential && hubAccess.hasSecret() && mesh != null && mesh.isKnownHubId(peerId)) {
            log.info("Refused upgrade of {}: the id belongs to a hub of this mesh", PeerSession.shortId(peerId));
            meters.refused(Meters.Refusal.DUPLICATE);
            return http.refusal(409, "Conflict", "Peer id belongs to a hub");
        }
        if (!hubCredential && federation.isLiveElsewhere(peerId)) {
            log.debug("Refused upgrade of {}: live on another hub or cluster node", PeerSession.shortId(peerId));
            meters.refused(Meters.Refusal.DUPLICATE);
            return http.refusal(409, "Conflict", mesh == null ? "Peer already connected on another cluster node"
                    : "Peer already connected on another hub");
        }
        if (registry.admit(peerId) == PeerRegistry.Admission.DUPLICATE
                && mesh != null && (hubCredential || (!hubAccess.hasSecret() && mesh.isKnownHubId(peerId)))) {
            signaling.evictPlainPeer(peerId, "Peer id belongs to a hub");
        }
        return null;
    }

    private HttpResponse admissionHook(RequestHead head, InetSocketAddress client, String peerId) {
        if (hook == null) {
            return null;
        }
        try {
            AdmissionHook.Decision d = hook.check(new AdmissionHook.Request(head.path(), head.query(), head.headers(),
                    client, peerId));
            if (d == null || d.accepted()) {
                return null;
            }
            log.debug("Admission hook refused {}: {} {}", client, d.status(), d.reason());
            meters.refused(Meters.Refusal.ADMISSION);
            return http.refusal(d.status(), reasonPhrase(d.status()), d.reason());
        } catch (RuntimeException e) {
            // A bug in the application's hook, but each client request can repeat it: one line a second.
            int suppressed = hookLog.tryAcquire();
            if (suppressed >= 0) {
                log.warn("Admission hook failed for {}: {}{}", client, e.toString(), LogThrottle.suffix(suppressed));
            }
            log.debug("Admission hook failure", e);
            meters.refused(Meters.Refusal.ADMISSION);
            return http.refusal(500, "Internal Server Error", "Admission check failed");
        }
    }

    static String reasonPhrase(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 409 -> "Conflict";
            case 429 -> "Too Many Requests";
            case 503 -> "Service Unavailable";
            default -> status < 500 ? "Client Error" : "Server Error";
        };
    }

    /**
     * The hub secret a request presents, or null: the {@code hubSecret} query parameter, else the segment of the
     * exact path form {@code /hub/<secret>} (a reference JS hub only appends {@code ?peerId=} to its configured
     * URI, so operators give it {@code ws://host:port/hub/<secret>}). Any other path ({@code /}, {@code /hub},
     * {@code /hubba}, {@code /a/hub/x}) is no credential: an ordinary client may use it.
     */
    static String presentedSecret(RequestHead head) {
        String q = head.queryParam("hubSecret");
        if (q != null) {
            return q;
        }
        String path = head.path();
        return Redaction.isHubSecretPath(path) ? path.substring(5) : null;
    }
}

package dev.peerpigeon.federation;

import dev.peerpigeon.protocol.TextFrame;
import dev.peerpigeon.support.Redaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Dials the configured hubs through a {@link HubConnector} and redials them by the {@link RedialPolicy}: the
 * secret only to hubs the operator named, a dial abandoned when its upgrade is not answered in time, and a hub
 * that turns out to be this one (its header, or a refused upgrade with HTTP 508) never dialed again.
 *
 * <p>Threads: dials, redials and closes run on the mesh thread; the connector's listener runs on the attempt's
 * reader thread, which identifies the link and posts. A {@link Target}'s fields are volatile (read by stats).
 */
final class Dialer {
    private static final Logger log = LoggerFactory.getLogger(HubMesh.class);
    /** HTTP status a hub answers when the dialer has its own hub id (PeerPigeonServer's upgrade gate). */
    static final int LOOP_DETECTED = 508;
    static final int FORBIDDEN = 403;
    /** A Java hub refusing a dialer of another namespace: 409 with this reason phrase, naming its namespace. */
    private static final java.util.regex.Pattern NAMESPACE_REFUSAL =
            java.util.regex.Pattern.compile("409 Hub Namespace Mismatch: this hub is in '([a-z0-9-]{1,64})'");

    /** What the dialer hands a link it opened (and takes back when it closes). */
    interface Links {
        void up(HubLink link, Target target);

        void down(HubLink link, Target target, int code, String reason);

        void frame(HubLink link, TextFrame text);

        /** A learned target ended (its dial failed, or its link went down): it is not redialed. Mesh thread. */
        default void learnedEnded(Target target, boolean wasLinked) {
        }
    }

    /** Redial state of one outbound URI. */
    static final class Target {
        final URI uri;
        /** The URI as logs, stats and events show it (credentials masked). */
        final URI shown;
        /** False for the implicit default bootstrap: the secret goes only to hubs the operator named. */
        final boolean explicit;
        volatile int failures;
        volatile int attemptNumber;
        volatile long lastAttempt;
        volatile long nextAttemptAt;
        volatile HubLink link;
        volatile boolean abandoned;
        volatile boolean self;
        volatile HubConnector.Attempt pending;
        /** The refusal for missing hub authentication was logged once. */
        volatile boolean warnedAuth;
        /** Nominal redial delay last logged for a namespace refusal: one line per backoff step, then quiet. */
        volatile long namespaceLoggedDelay;

        /** The hub a learned target was dialed for (mesh maintenance, dialed once, never redialed); null otherwise. */
        final String learnedHubId;

        Target(URI uri, boolean explicit) {
            this(uri, explicit, null);
        }

        Target(URI uri, boolean explicit, String learnedHubId) {
            this.uri = uri;
            this.shown = Redaction.uri(uri);
            this.explicit = explicit;
            this.learnedHubId = learnedHubId;
        }
    }

    private final MeshSettings settings;
    private final HubConnector connector;
    private final MeshThread thread;
    private final RedialPolicy policy;
    private final LinkHandshake handshake;
    private final MeshObserver observer;
    private final Links links;
    private final List<Target> targets = new CopyOnWriteArrayList<>();
    private volatile int boundPort;
    private volatile String selfUri;

    Dialer(MeshSettings settings, HubConnector connector, MeshThread thread, LinkHandshake handshake,
           MeshObserver observer, Links links) {
        this.settings = settings;
        this.connector = connector;
        this.thread = thread;
        this.policy = new RedialPolicy(settings.reconnectBaseMillis(), settings.reconnectMaxMillis(),
                settings.maxReconnectAttempts());
        this.handshake = handshake;
        this.observer = observer;
        this.links = links;
    }

    /** The bound port and this hub's dialable address (null when unknown), told in every announce. */
    void boundPort(int port, String selfUri) {
        this.boundPort = port;
        this.selfUri = selfUri;
    }

    /**
     * Dials hub {@code hubId} at {@code uri}, an address learned from the mesh, once (mesh thread). It carries the
     * secret like a bootstrap dial: it goes to a hub the authenticated mesh vouched for.
     */
    Target addLearned(String hubId, URI uri) {
        Target t = new Target(uri, true, hubId);
        targets.add(t);
        dial(t);
        return t;
    }

    /** The dialable address of a dialed URI: its scheme as ws/wss, host, port and path; never a query or a secret. */
    static URI address(URI uri) {
        String scheme = uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        scheme = scheme.equals("http") ? "ws" : scheme.equals("https") ? "wss" : scheme;
        String path = uri.getRawPath() == null || Redaction.isHubSecretPath(uri.getRawPath()) ? "" : uri.getRawPath();
        String host = uri.getHost() == null ? null : (uri.getHost().contains(":") && !uri.getHost().startsWith("[")
                ? "[" + uri.getHost() + "]" : uri.getHost());
        return host == null ? null : LinkFrames.dialable(scheme + "://" + host + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
                + path);
    }

    List<Target> targets() {
        return targets;
    }

    /** Adds {@code uri} and dials it on the mesh thread. */
    void add(URI uri, boolean explicit) {
        Target t = new Target(uri, explicit);
        targets.add(t);
        thread.post(() -> dial(t));
    }

    /** Closes attempts still in their upgrade (stop). */
    void closePending(int code, String reason) {
        for (Target t : targets) {
            HubConnector.Attempt p = t.pending;
            if (p != null) {
                p.close(code, reason);
            }
        }
    }

    private void dial(Target d) {
        if (thread.stopped() || d.abandoned || d.self) {
            return;
        }
        d.attemptNumber++;
        d.lastAttempt = System.currentTimeMillis();
        URI target = dialUri(d.uri, d.explicit);
        log.debug("Dialing hub {} (attempt {})", d.shown, d.attemptNumber);
        HubConnector.Options options = new HubConnector.Options(handshake.linkLimit(),
                (int) Math.max(1, settings.pingMillis() / 1000), settings.maxQueuedFrames());
        HubConnector.Attempt dialed = connector.dial(target, handshake.requestHeaders(d.learnedHubId != null), options,
                new HubConnector.Listener() {
            private volatile HubLink link;

            @Override
            public void onOpen(HubConnector.Attempt attempt, Map<String, String> headers) {
                link = opened(d, attempt, headers);
            }

            @Override
            public void onMessage(TextFrame text) {
                HubLink l = link;
                if (l != null) {
                    links.frame(l, text);
                }
            }

            @Override
            public void onClose(int code, String reason, int refusedStatus) {
                HubLink l = link;
                thread.post(() -> closed(d, l, code, reason, refusedStatus));
            }
        });
        d.pending = dialed;
        // A hub that accepts TCP but never answers the upgrade must not hold this dialer forever: abandon the
        // attempt (its onClose then redials with the usual backoff).
        long timeout = settings.handshakeMillis();
        boolean scheduled = thread.schedule(() -> {
            if (d.pending == dialed && !dialed.isOpen() && d.link == null) {
                log.info("Hub {} did not answer the upgrade within {} ms (attempt {}); redialing", d.shown, timeout,
                        d.attemptNumber);
                dialed.abortHandshake("Upgrade not answered within " + timeout + " ms");
            }
        }, timeout);
        if (!scheduled) {
            dialed.abortHandshake("Hub shutting down");
        }
    }

    /** Reader thread: identifies the remote hub, announces, then hands over to the mesh thread. */
    private HubLink opened(Target d, HubConnector.Attempt conn, Map<String, String> headers) {
        LinkHandshake.Outbound out = handshake.outbound(conn, d.shown, headers);
        if (out.refused() == LinkHandshake.Refused.SELF) {
            d.self = true;
        }
        HubLink link = out.link();
        if (link == null) {
            return null;
        }
        boolean learned = d.learnedHubId != null;
        link.learned = learned;
        link.address = address(d.uri);
        conn.send(handshake.announce(boundPort, selfUri, learned));
        thread.post(() -> {
            d.link = link;
            links.up(link, d);
            if (learned) {
                log.info("Linked to hub {} at {} (mesh maintenance)", dev.peerpigeon.signaling.PeerSession.shortId(d.learnedHubId), d.shown);
            } else {
                log.info("Connected to bootstrap hub {}{}", d.shown, link.smart ? "" : " (reference hub)");
                observer.bootstrapConnected(d.shown);
            }
        });
        return link;
    }

    private void closed(Target d, HubLink link, int code, String reason, int refusedStatus) {
        d.pending = null;
        if (d.learnedHubId != null) { // dialed once for the mesh maintenance, which decides what comes next
            d.link = null;
            targets.remove(d);
            if (link != null) {
                links.down(link, d, code, reason);
            } else {
                log.debug("Learned hub {} at {} not linked: {} {} (HTTP {})", d.learnedHubId, d.shown, code, reason,
                        refusedStatus);
            }
            links.learnedEnded(d, link != null);
            return;
        }
        java.util.regex.Matcher otherNamespace = link == null && reason != null ? NAMESPACE_REFUSAL.matcher(reason) : null;
        if (otherNamespace != null && !otherNamespace.find()) {
            otherNamespace = null;
        }
        boolean quick = false; // a healthy link went down: redial at once, back off only if that fails
        if (link != null) {
            d.namespaceLoggedDelay = 0;
            d.link = null;
            links.down(link, d, code, reason);
            if (policy.healthy(System.currentTimeMillis() - link.connectedAt)) {
                d.failures = 0;
                quick = true;
            }
        } else if (refusedStatus == FORBIDDEN && !d.warnedAuth) {
            d.warnedAuth = true; // once per dialer: it keeps redialing with backoff
            log.warn("Hub {} refused the link (HTTP 403, hub authentication required): set the same HUB_SECRET on"
                    + " every hub and list this one in the bootstrap hubs (the implicit default bootstrap never carries"
                    + " the secret), or ALLOW_UNAUTHENTICATED_HUBS=true on a hub in protected mode", d.shown);
        } else if (otherNamespace == null) {
            log.debug("Could not connect to hub {}: {} {}", d.shown, code, reason);
        }
        if (thread.stopped() || d.self) {
            return;
        }
        if (refusedStatus == LOOP_DETECTED) {
            log.info("Bootstrap hub {} refused us as its own connection; not dialing it again", d.shown);
            d.self = true;
            return;
        }
        if (quick) {
            redialIn(d, policy.quickMillis(ThreadLocalRandom.current().nextDouble()));
            return;
        }
        d.failures++;
        if (policy.giveUp(d.failures)) {
            d.abandoned = true;
            log.warn("Giving up on hub {} after {} failed attempts in a row (maxReconnectAttempts)", d.shown,
                    settings.maxReconnectAttempts());
            observer.bootstrapAbandoned(d.shown, d.failures - 1);
            return;
        }
        long delay = policy.delayMillis(d.failures, ThreadLocalRandom.current().nextDouble());
        long nominal = policy.delayMillis(d.failures, 0.5); // without jitter: grows per step up to the maximum
        if (otherNamespace != null && nominal > d.namespaceLoggedDelay) {
            d.namespaceLoggedDelay = nominal;
            log.warn("Hub {} refused the link (HTTP 409): it is in hub mesh namespace '{}', this hub is in '{}';"
                    + " redialing in {} ms{}", d.shown, otherNamespace.group(1), settings.namespace(), delay,
                    nominal >= policy.delayMillis(Integer.MAX_VALUE / 2, 0.5) ? " (backoff at its maximum; quiet from now on)" : "");
        }
        redialIn(d, delay);
    }

    private void redialIn(Target d, long delay) {
        d.nextAttemptAt = System.currentTimeMillis() + delay;
        log.debug("Redialing hub {} in {} ms (after {} failure(s) in a row)", d.shown, delay, d.failures);
        thread.schedule(() -> dial(d), delay);
    }

    /**
     * ws(s) URI with {@code peerId} (and, when {@code withSecret} and one is configured, {@code hubSecret}) set in
     * the query, whatever query it already has.
     */
    URI dialUri(URI uri, boolean withSecret) {
        String scheme = uri.getScheme().toLowerCase();
        scheme = scheme.equals("http") ? "ws" : scheme.equals("https") ? "wss" : scheme;
        StringBuilder query = new StringBuilder();
        if (uri.getRawQuery() != null) {
            for (String part : uri.getRawQuery().split("&")) {
                if (!part.isEmpty() && !part.startsWith("peerId=") && !part.equals("peerId") && !part.startsWith("hubSecret=")) {
                    query.append(query.length() == 0 ? "" : "&").append(part);
                }
            }
        }
        query.append(query.length() == 0 ? "" : "&").append("peerId=").append(settings.hubId());
        if (withSecret && settings.secret() != null) {
            query.append("&hubSecret=").append(URLEncoder.encode(settings.secret(), StandardCharsets.UTF_8));
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return URI.create(scheme + "://" + uri.getRawAuthority() + path + "?" + query);
    }

    /** True when {@code uri} points at this hub's own bound socket (by address, not by host string). */
    boolean isSelf(URI uri) {
        int port = uri.getPort() > 0 ? uri.getPort()
                : ("wss".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80);
        if (port != boundPort) {
            return false;
        }
        try {
            for (InetAddress a : InetAddress.getAllByName(uri.getHost())) {
                if (a.isLoopbackAddress() || a.isAnyLocalAddress() || NetworkInterface.getByInetAddress(a) != null) {
                    return true;
                }
            }
        } catch (Exception e) {
            return false;
        }
        return false;
    }
}

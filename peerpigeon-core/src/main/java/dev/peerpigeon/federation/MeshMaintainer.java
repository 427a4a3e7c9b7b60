package dev.peerpigeon.federation;

import dev.peerpigeon.signaling.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps the hub mesh connected on its own. Hubs tell the mesh where they can be dialed (their own address, and the
 * addresses of the hubs they know, in every route advert); each hub keeps between {@code minPeers} and
 * {@code maxPeers} direct links: below the minimum it dials hubs it learned of (reachable ones first, the farthest
 * first, within a second of the check that finds it short), each once, with a growing cool-down per hub after a
 * failure; above the maximum it drops a link it or its neighbour dialed this way ("learned") when that link is
 * redundant: every hub stays reachable without it (preferring one whose neighbour keeps more than its minimum). Bootstrap links
 * are never dropped; a hub never dials itself; a learned dial carries the same secret and passes the same checks as
 * a bootstrap dial, and a hub at its maximum refuses one (HTTP 503) before the upgrade. Two links between the same
 * pair of hubs keep one: a bootstrap link over a learned one, else the one dialed by the smaller hub id (both sides
 * decide alike).
 *
 * <p>Threads: everything runs on the mesh thread and owns the address book, the pending dials and the cool-downs.
 */
final class MeshMaintainer {
    private static final Logger log = LoggerFactory.getLogger(HubMesh.class);
    static final long TICK_MILLIS = 1_000;
    static final int MAX_ADDRESSES = 1024;
    private static final long MAX_COOLDOWN_MILLIS = 30_000;

    private final MeshSettings settings;
    private final LinkTable links;
    private final Dialer dialer;
    /** hub id -> where it can be dialed. */
    private final Map<String, URI> book = new LinkedHashMap<>();
    /** Hubs whose address came from themselves (their own advert): it wins over what others saw. */
    private final Set<String> selfDeclared = new HashSet<>();
    private final Map<String, Dialer.Target> pending = new HashMap<>();
    /** hub id -> {time before which it is not dialed again, failures in a row}. */
    private final Map<String, long[]> cooldown = new HashMap<>();
    private String selfUri;
    /** Checks in a row that found this hub over its maximum. */
    private int overMaxTicks;
    /** After this many checks over the maximum, a redundant link goes even when its neighbour has only its minimum. */
    static final int PATIENCE_TICKS = 3;

    MeshMaintainer(MeshSettings settings, LinkTable links, Dialer dialer) {
        this.settings = settings;
        this.links = links;
        this.dialer = dialer;
    }

    /**
     * This hub's dialable address: the advertised URI, else {@code ws[s]://<host>:<port>} unless the host is a
     * wildcard (then neighbours tell the mesh what they see); never with credentials or a query.
     */
    static String selfUri(MeshSettings settings, int port) {
        if (settings.advertiseUri() != null) {
            URI a = Dialer.address(settings.advertiseUri());
            return a == null ? null : a.toString();
        }
        String host = settings.host();
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            return null;
        }
        URI u = LinkFrames.dialable((settings.tls() ? "wss" : "ws") + "://"
                + (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port);
        return u == null ? null : u.toString();
    }

    void selfUri(String uri) {
        this.selfUri = uri;
    }

    /** A link is up: its remote's address goes into the book (Java hubs only: a reference hub's id is synthetic). */
    void linked(HubLink l) {
        if (l.smart && l.address != null) {
            learn(l.remoteHubId, l.address, false);
        }
    }

    /** The addresses in a neighbour's route advert; the neighbour's own is authoritative. */
    void learnFrom(HubLink link, String data) {
        if (!link.smart) {
            return;
        }
        LinkFrames.addresses(data, RouteTable.MAX_HUBS_PER_LINK).forEach((id, uri) ->
                learn(id, uri, id.equals(link.remoteHubId)));
    }

    private void learn(String id, URI uri, boolean fromItself) {
        if (id.equals(settings.hubId()) || (!book.containsKey(id) && book.size() >= MAX_ADDRESSES)) {
            return;
        }
        if (fromItself) {
            selfDeclared.add(id);
            book.put(id, uri);
        } else if (!selfDeclared.contains(id)) {
            book.put(id, uri);
        }
    }

    /** The addresses to advertise with {@code table}: our own and those of the hubs it reaches. */
    Map<String, String> advertised(Map<String, RouteTable.Route> table) {
        Map<String, String> out = new LinkedHashMap<>();
        if (selfUri != null) {
            out.put(settings.hubId(), selfUri);
        }
        for (String hub : table.keySet()) {
            URI u = book.get(hub);
            if (u != null) {
                out.put(hub, u.toString());
            }
        }
        return out;
    }

    /** A learned dial ended: a failure cools that hub down (1 s doubling up to 30 s), a link that was up resets it. */
    void ended(Dialer.Target t, boolean wasLinked) {
        pending.remove(t.learnedHubId, t);
        if (wasLinked) {
            cooldown.remove(t.learnedHubId);
            return;
        }
        long[] c = cooldown.computeIfAbsent(t.learnedHubId, k -> new long[2]);
        c[1]++;
        c[0] = System.currentTimeMillis() + Math.min(MAX_COOLDOWN_MILLIS, TICK_MILLIS << Math.min(10, c[1] - 1));
    }

    /** True when this hub refuses a learned link: it has its maximum of links already. */
    boolean atLimit() {
        return links.size() >= settings.maxPeers();
    }

    /** Periodic (mesh thread): forget vanished hubs, dial up to the minimum, drop duplicates and redundant links. */
    void tick(boolean stopped) {
        if (stopped) {
            return;
        }
        try {
            maintain();
        } catch (RuntimeException e) {
            log.error("Hub mesh maintenance failed", e);
        }
    }

    private void maintain() {
        List<HubLink> live = new ArrayList<>(links.links());
        book.keySet().removeIf(id -> !links.isKnownHubId(id));
        selfDeclared.retainAll(book.keySet());
        Set<String> direct = new HashSet<>();
        for (HubLink l : live) {
            direct.add(l.remoteHubId);
        }
        if (dropDuplicate(live)) {
            return;
        }
        int have = live.size();
        for (Dialer.Target t : pending.values()) {
            have += t.link == null ? 1 : 0;
        }
        if (have < settings.minPeers() && settings.autoConnect()) { // autoConnect off: this hub dials nothing
            dialUp(direct, have);
        } else if (live.size() > settings.maxPeers()) {
            overMaxTicks++;
            dropRedundant(live);
        } else {
            overMaxTicks = 0;
        }
    }

    private void dialUp(Set<String> direct, int have) {
        long now = System.currentTimeMillis();
        Map<String, RouteTable.Route> routes = links.routes();
        List<String> candidates = new ArrayList<>();
        for (String id : book.keySet()) {
            long[] c = cooldown.get(id);
            if (!direct.contains(id) && !pending.containsKey(id) && (c == null || now >= c[0])) {
                candidates.add(id);
            }
        }
        Collections.shuffle(candidates);
        // Reachable hubs first (a known-dead one only when nothing else is left), the farthest first.
        candidates.sort(Comparator.comparingInt((String id) -> {
            RouteTable.Route r = routes.get(id);
            return r == null ? Integer.MAX_VALUE : -r.path().size();
        }));
        for (String id : candidates) {
            if (have >= settings.minPeers()) {
                return;
            }
            URI uri = book.get(id);
            if (dialer.isSelf(uri)) {
                book.remove(id);
                continue;
            }
            log.debug("Mesh maintenance: {} link(s), dialing hub {} at {}", have, PeerSession.shortId(id), uri);
            pending.put(id, dialer.addLearned(id, uri));
            have++;
        }
    }

    /** Closes one of two links to the same hub (see the class comment); true when it closed one. */
    private boolean dropDuplicate(List<HubLink> live) {
        Map<String, List<HubLink>> byHub = new HashMap<>();
        for (HubLink l : live) {
            byHub.computeIfAbsent(l.remoteHubId, k -> new ArrayList<>()).add(l);
        }
        for (List<HubLink> same : byHub.values()) {
            if (same.size() < 2) {
                continue;
            }
            HubLink victim = null;
            for (HubLink l : same) {
                if (l.learned && (victim == null || dialerId(l).compareTo(dialerId(victim)) > 0)) {
                    victim = l;
                }
            }
            if (victim != null) {
                log.debug("Closing duplicate {}", victim);
                victim.conn.close(1000, "Duplicate hub link");
                return true;
            }
        }
        return false;
    }

    private String dialerId(HubLink l) {
        return l.outbound ? settings.hubId() : l.remoteHubId;
    }

    /**
     * Over the maximum: drops the newest learned link whose loss keeps every hub reachable, preferring one whose
     * neighbour keeps more than its minimum; after {@value #PATIENCE_TICKS} checks over the maximum any redundant
     * learned link (its neighbour then dials a hub with room: hubs at their maximum refuse learned links).
     */
    private void dropRedundant(List<HubLink> live) {
        if (live.size() - 1 < settings.minPeers()) {
            return;
        }
        Set<String> reachable = links.routes().keySet();
        List<HubLink> learned = new ArrayList<>();
        for (HubLink l : live) {
            if (l.learned && l.smart && l.advertsApplied > 0) {
                learned.add(l);
            }
        }
        learned.sort(Comparator.comparingLong((HubLink l) -> l.connectedAt).reversed());
        for (HubLink l : learned) {
            if (remoteDegree(l) <= settings.minPeers() && overMaxTicks < PATIENCE_TICKS) {
                continue; // first let a link whose neighbour has links to spare go; later any redundant one
            }
            List<HubLink> without = new ArrayList<>(live);
            without.remove(l);
            if (RouteTable.compute(settings.hubId(), without).keySet().containsAll(reachable)) {
                log.info("Dropping redundant {} ({} links, hubMeshMaxPeers {})", l, live.size(), settings.maxPeers());
                l.conn.close(1000, "Redundant hub link");
                return;
            }
        }
    }

    /** The neighbour's direct links, from its advert (paths of two hubs start at it; the one to us is left out). */
    private static int remoteDegree(HubLink l) {
        int n = 1;
        for (List<String> path : l.advertised.values()) {
            n += path.size() == 2 ? 1 : 0;
        }
        return n;
    }
}

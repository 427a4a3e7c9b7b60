package dev.peerpigeon.federation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The live hub links, the current route table and the recently reachable hubs. Written on the mesh thread
 * only; read lock-free by any thread (copy-on-write list, a volatile immutable route map, a concurrent map).
 */
final class LinkTable {
    /** A hub id stays reserved (no plain peer may use it) this long after its hub became unreachable. */
    static final long RECENT_HUB_MILLIS = 3_600_000;
    static final int MAX_RECENT_HUBS = 10_000;

    private final String self;
    private final List<HubLink> links = new CopyOnWriteArrayList<>();
    private volatile Map<String, RouteTable.Route> routes = Map.of();
    /** hub id -> when it was last reachable, for hubs no longer reachable. */
    private final ConcurrentHashMap<String, Long> recentHubs = new ConcurrentHashMap<>();

    LinkTable(String self) {
        this.self = self;
    }

    /** What a recompute changed. */
    record Change(Map<String, RouteTable.Route> routes, Map<HubLink, List<String>> resync, Set<String> lost) {
    }

    List<HubLink> links() {
        return links;
    }

    void add(HubLink link) {
        links.add(link);
    }

    boolean remove(HubLink link) {
        return links.remove(link);
    }

    boolean contains(HubLink link) {
        return links.contains(link);
    }

    int size() {
        return links.size();
    }

    Map<String, RouteTable.Route> routes() {
        return routes;
    }

    RouteTable.Route route(String hub) {
        return routes.get(hub);
    }

    /** True when {@code link} is this hub's current route toward hub {@code origin}. */
    boolean isRouteFor(HubLink link, String origin) {
        RouteTable.Route r = routes.get(origin);
        return r != null && r.link() == link;
    }

    /**
     * Recomputes the routes; null when nothing changed. Otherwise the new table is published and the change says
     * which established links to ask for a resync (routes that moved to them; not {@code dumping}, a link whose
     * full directory is about to arrive) and which hubs became unreachable.
     */
    Change recompute(HubLink dumping) {
        Map<String, RouteTable.Route> next = RouteTable.compute(self, links);
        Map<String, RouteTable.Route> before = routes;
        if (RouteTable.samePaths(before, next)) {
            return null;
        }
        routes = Map.copyOf(next);
        // Updates are accepted only from the route toward their origin: a route that moved to an established
        // link asks it for those hubs' directory.
        Map<HubLink, List<String>> resync = new HashMap<>();
        for (Map.Entry<String, RouteTable.Route> e : next.entrySet()) {
            RouteTable.Route old = before.get(e.getKey());
            HubLink l = e.getValue().link();
            if (l.smart && (old == null || old.link() != l) && l != dumping && l.advertsApplied > 0) {
                resync.computeIfAbsent(l, k -> new ArrayList<>()).add(e.getKey());
            }
        }
        Set<String> lost = new HashSet<>(before.keySet());
        lost.removeAll(next.keySet());
        long now = System.currentTimeMillis();
        for (String h : lost) {
            if (recentHubs.size() < MAX_RECENT_HUBS) {
                recentHubs.put(h, now);
            }
        }
        for (String h : next.keySet()) {
            recentHubs.remove(h);
        }
        return new Change(routes, resync, lost);
    }

    /**
     * True when {@code id} is this hub's, a linked or reachable hub's, or one that was reachable within the last
     * hour: such an id is never a plain peer's.
     */
    boolean isKnownHubId(String id) {
        if (id.equals(self) || routes.containsKey(id)) {
            return true;
        }
        for (HubLink l : links) {
            if (l.remoteHubId.equals(id) || id.equals(l.reportedHubId)) {
                return true;
            }
        }
        Long at = recentHubs.get(id);
        return at != null && System.currentTimeMillis() - at < RECENT_HUB_MILLIS;
    }

    /** Forgets hubs unreachable for longer than {@value #RECENT_HUB_MILLIS} ms. */
    void expireRecent(long now) {
        recentHubs.values().removeIf(at -> now - at > RECENT_HUB_MILLIS);
    }
}

package dev.peerpigeon.federation;

import dev.peerpigeon.protocol.PeerId;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Path-vector route selection, pure: from the links and what each neighbour advertised, the best path to
 * every reachable hub. Shorter paths win; equal lengths are ordered by their hub ids (deterministic on every
 * hub); a path through this hub is never used (no loops); a directly linked hub is reached over its own link.
 * Stateless; callers run it on the mesh thread.
 */
final class RouteTable {
    /** Most hubs on a path (and the ttl of a signal). */
    static final int MAX_TTL = 32;
    /** Most hubs one link may advertise. */
    static final int MAX_HUBS_PER_LINK = 1024;

    private RouteTable() {
    }

    /** Best path to a hub: first hop and the full path from this hub. */
    record Route(HubLink link, List<String> path) {
    }

    /** A validated advert: usable paths, and how many entries were invalid or beyond the bound. */
    record Advert(Map<String, List<String>> paths, int bad, int excess) {
    }

    /**
     * Checks a neighbour's advert (hub -> raw path, null for malformed): at most {@value #MAX_HUBS_PER_LINK}
     * hubs; each path valid ({@link #validPath}); paths through {@code self} dropped silently (they would loop).
     */
    static Advert validate(String self, String sender, Map<String, List<String>> raw) {
        Map<String, List<String>> adv = new HashMap<>();
        int bad = 0;
        int excess = 0;
        for (Map.Entry<String, List<String>> e : raw.entrySet()) {
            if (adv.size() >= MAX_HUBS_PER_LINK) {
                excess++;
                continue;
            }
            List<String> path = validPath(sender, e.getKey(), e.getValue());
            if (path == null) {
                bad++;
            } else if (!path.contains(self)) {
                adv.put(e.getKey(), path);
            }
        }
        return new Advert(adv, bad, excess);
    }

    /**
     * A valid advertised path for {@code hub}: hub ids only, starting with the sender, ending with {@code hub},
     * no repeats, at most {@value #MAX_TTL} hubs. Null when invalid.
     */
    static List<String> validPath(String sender, String hub, List<String> path) {
        if (!PeerId.isValid(hub) || path == null || path.isEmpty() || path.size() > MAX_TTL) {
            return null;
        }
        Set<String> seen = new HashSet<>();
        for (String id : path) {
            if (id == null || !PeerId.isValid(id) || !seen.add(id)) {
                return null;
            }
        }
        if (!path.get(0).equals(sender) || !path.get(path.size() - 1).equals(hub)) {
            return null;
        }
        return List.copyOf(path);
    }

    /** The best route to every hub reachable over {@code links} (in link order: the first link wins exact ties). */
    static Map<String, Route> compute(String self, Collection<HubLink> links) {
        Map<String, Route> next = new HashMap<>();
        Set<String> direct = new HashSet<>();
        for (HubLink l : links) {
            direct.add(l.remoteHubId);
        }
        for (HubLink l : links) {
            consider(next, l.remoteHubId, l, List.of(self, l.remoteHubId));
            if (!l.smart) {
                continue;
            }
            for (Map.Entry<String, List<String>> e : l.advertised.entrySet()) {
                List<String> path = e.getValue();
                if (path.contains(self) || e.getKey().equals(self)) {
                    continue; // would loop through us
                }
                if (direct.contains(e.getKey())) {
                    continue; // a directly linked hub is reached over its own link, never claimed through another
                }
                List<String> full = new ArrayList<>(path.size() + 1);
                full.add(self);
                full.addAll(path);
                consider(next, e.getKey(), l, full);
            }
        }
        return next;
    }

    private static void consider(Map<String, Route> table, String hub, HubLink link, List<String> path) {
        Route cur = table.get(hub);
        if (cur == null || path.size() < cur.path.size()
                || (path.size() == cur.path.size() && comparePaths(path, cur.path) < 0)) {
            table.put(hub, new Route(link, path));
        }
    }

    private static int comparePaths(List<String> a, List<String> b) {
        for (int i = 0; i < a.size(); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return 0; // the same path over two links to one neighbour: the first link keeps it
    }

    /** True when both tables have the same paths over the same links. */
    static boolean samePaths(Map<String, Route> a, Map<String, Route> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, Route> e : a.entrySet()) {
            Route o = b.get(e.getKey());
            if (!o.path.equals(e.getValue().path) || o.link != e.getValue().link) {
                return false;
            }
        }
        return true;
    }

    /** Paths only (for the advert). */
    static Map<String, List<String>> paths(Map<String, Route> table) {
        Map<String, List<String>> out = new HashMap<>();
        table.forEach((hub, r) -> out.put(hub, r.path));
        return out;
    }
}

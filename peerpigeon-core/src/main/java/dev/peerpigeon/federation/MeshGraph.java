package dev.peerpigeon.federation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The hub mesh graph this hub can see, built on demand for the status page. Stateless; runs on the caller's
 * thread (an HTTP request), reading only published immutable route and advert maps.
 */
public final class MeshGraph {
    private MeshGraph() {
    }

    /**
     * The mesh as this hub knows it, for {@code /status}: hub id -> hops (this hub 0) for every reachable hub, its
     * remote peer count, and the links (sorted id pairs) along this hub's best paths and its neighbours' advertised
     * paths. Read from any thread: the route table is an immutable published map; a neighbour's advert map is
     * replaced whole by the mesh thread (a reference read of an immutable map).
     */
    public record Snapshot(Map<String, Integer> hops, Map<String, Integer> remotePeers, java.util.Set<List<String>> links) {
    }

    static Snapshot of(String selfId, LinkTable links, RemoteDirectory directory) {
        Map<String, Integer> hops = new java.util.TreeMap<>();
        java.util.Set<List<String>> edges = new java.util.TreeSet<>(
                java.util.Comparator.<List<String>, String>comparing(e -> e.get(0)).thenComparing(e -> e.get(1)));
        hops.put(selfId, 0);
        for (Map.Entry<String, RouteTable.Route> e : links.routes().entrySet()) {
            List<String> path = e.getValue().path();
            hops.put(e.getKey(), path.size() - 1);
            addEdges(edges, path);
        }
        for (HubLink l : links.links()) {
            if (l.remoteHubId != null) {
                addEdges(edges, List.of(selfId, l.remoteHubId));
                Map<String, List<String>> adv = l.advertised;
                for (List<String> path : adv.values()) {
                    List<String> known = new ArrayList<>();
                    for (String h : path) {
                        if (!hops.containsKey(h)) {
                            break; // only links between hubs this hub can route to
                        }
                        known.add(h);
                    }
                    addEdges(edges, known);
                }
            }
        }
        Map<String, Integer> peers = new java.util.HashMap<>();
        for (RemoteDirectory.Remote r : directory.entries()) {
            peers.merge(r.originHub(), 1, Integer::sum);
        }
        return new Snapshot(hops, peers, edges);
    }

    private static void addEdges(java.util.Set<List<String>> edges, List<String> path) {
        for (int i = 0; i + 1 < path.size(); i++) {
            String a = path.get(i);
            String b = path.get(i + 1);
            if (!a.equals(b)) {
                edges.add(a.compareTo(b) < 0 ? List.of(a, b) : List.of(b, a));
            }
        }
    }
}

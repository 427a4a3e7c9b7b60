package dev.peerpigeon.cluster;

import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.signaling.LocalDelivery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's replica of the cluster's peer directory: the announced peers of the other nodes, by peer, by network
 * and by node, with the latest change applied per node ({@code seq}). Fed by pub/sub events and per-node snapshots
 * ({@link RedisCluster}); every insert and removal goes through {@link LocalDelivery#changeRemote} under the
 * network's lock, so a local joiner (which reads {@link #entries(String)} under the same lock) sees each remote peer
 * exactly once. Reads never touch Redis: the 409 check and routing decisions are local.
 *
 * <p>Threads: written on the cluster thread only; {@link #get}, {@link #isLive}, {@link #entries} and {@link #size}
 * are read lock-free by transport threads (concurrent maps).
 */
final class ClusterDirectory {
    private static final Logger log = LoggerFactory.getLogger(RedisCluster.class);

    record Entry(String node, String peerId, String network, String discovery) {
    }

    private final LocalDelivery local;
    private final int maxPeers;
    private final ConcurrentHashMap<String, Entry> byPeer = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, Entry>> byNetwork = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Entry>> byNode = new HashMap<>();   // cluster thread only
    private final Map<String, Long> lastSeq = new HashMap<>();                // cluster thread only
    private long lastFullWarning;

    ClusterDirectory(LocalDelivery local, int maxPeers) {
        this.local = local;
        this.maxPeers = maxPeers;
    }

    Entry get(String peerId) {
        return byPeer.get(peerId);
    }

    boolean isLive(String peerId) {
        return byPeer.containsKey(peerId);
    }

    int size() {
        return byPeer.size();
    }

    List<Entry> entries(String net) {
        Map<String, Entry> m = byNetwork.get(net);
        return m == null ? List.of() : new ArrayList<>(m.values());
    }

    Set<String> nodes() {
        return Set.copyOf(byNode.keySet());
    }

    /** The latest change of {@code node} applied here (0: none). */
    long lastSeq(String node) {
        return lastSeq.getOrDefault(node, 0L);
    }

    /** An event of {@code node} numbered {@code seq}: true (and recorded) when newer than what is applied. */
    boolean accept(String node, long seq) {
        if (seq <= lastSeq(node)) {
            return false;
        }
        lastSeq.put(node, seq);
        return true;
    }

    /** Inserts or updates a peer of {@code e.node}; a peer that moved networks or nodes is replaced. */
    void put(Entry e) {
        if (local.isLocal(e.peerId())) {
            return; // the same id on two nodes (a race across an outage): this node's own peer wins here
        }
        Entry old = byPeer.get(e.peerId());
        if (old != null && old.network().equals(e.network())) {
            local.changeRemote(e.network(), () -> {
                replaceIn(e.network(), old, e);
                return false; // clients already know the peer: no notice
            }, () -> "");
            index(old, false);
            index(e, true);
            return;
        }
        if (old != null) {
            remove(old, false);
        }
        if (byPeer.size() >= maxPeers) {
            long now = System.currentTimeMillis();
            if (now - lastFullWarning > 60_000) {
                lastFullWarning = now;
                log.warn("Cluster directory full ({} remote peers, maxRemotePeers): ignoring new remote peers", maxPeers);
            }
            return;
        }
        local.changeRemote(e.network(), () -> {
            byNetwork.computeIfAbsent(e.network(), k -> new ConcurrentHashMap<>()).put(e.peerId(), e);
            byPeer.put(e.peerId(), e);
            return true;
        }, () -> MessageCodec.notice("peer-discovered", e.discovery(), e.network(), null, System.currentTimeMillis(), null));
        index(e, true);
    }

    /** Removes {@code peerId} when it is {@code node}'s; a goodbye reaches the closest local members. */
    void remove(String node, String peerId, boolean goodbye) {
        Entry e = byPeer.get(peerId);
        if (e != null && e.node().equals(node)) {
            remove(e, goodbye);
        }
    }

    /** Makes {@code node}'s peers exactly {@code snapshot} (applied as of its change {@code seq}). */
    void replaceNode(String node, long seq, Map<String, Entry> snapshot) {
        for (Entry old : new ArrayList<>(byNode.getOrDefault(node, Map.of()).values())) {
            if (!snapshot.containsKey(old.peerId())) {
                remove(old, false);
            }
        }
        for (Entry e : snapshot.values()) {
            if (!e.equals(byPeer.get(e.peerId()))) {
                put(e);
            }
        }
        lastSeq.put(node, Math.max(seq, lastSeq(node)));
    }

    /** Forgets {@code node} (gone, dead or unreachable): its peers are reported peer-disconnected. */
    void dropNode(String node) {
        for (Entry e : new ArrayList<>(byNode.getOrDefault(node, Map.of()).values())) {
            remove(e, false);
        }
        byNode.remove(node);
        lastSeq.remove(node);
    }

    private void remove(Entry e, boolean goodbye) {
        boolean removed = local.changeRemote(e.network(), () -> {
            ConcurrentHashMap<String, Entry> m = byNetwork.get(e.network());
            if (m == null || !m.remove(e.peerId(), e)) {
                return false;
            }
            byPeer.remove(e.peerId(), e);
            if (m.isEmpty()) {
                byNetwork.remove(e.network(), m);
            }
            return true;
        }, () -> MessageCodec.notice("peer-disconnected", ClusterCodec.goneData(e.peerId()), e.network(), null,
                System.currentTimeMillis(), null));
        index(e, false);
        if (removed && goodbye) {
            local.remoteGoodbye(e.peerId(), e.network());
        }
    }

    private void replaceIn(String net, Entry old, Entry e) {
        ConcurrentHashMap<String, Entry> m = byNetwork.get(net);
        if (m != null && m.replace(e.peerId(), old, e)) {
            byPeer.put(e.peerId(), e);
        }
    }

    private void index(Entry e, boolean add) {
        if (add) {
            byNode.computeIfAbsent(e.node(), k -> new HashMap<>()).put(e.peerId(), e);
        } else {
            Map<String, Entry> m = byNode.get(e.node());
            if (m != null && m.remove(e.peerId(), e) && m.isEmpty()) {
                byNode.remove(e.node());
            }
        }
    }
}

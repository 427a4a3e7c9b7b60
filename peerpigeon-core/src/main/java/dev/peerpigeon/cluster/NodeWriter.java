package dev.peerpigeon.cluster;

import dev.peerpigeon.signaling.LocalDelivery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's side of the directory in Redis: each join or departure of a local peer is written to the node's peer
 * hash (with the node's change number {@code seq}) and then published, in order on one connection. A write that
 * cannot be made (Redis away) or fails marks the node dirty; the next successful heartbeat then re-registers
 * every local peer at once ({@link #reregister}), so nothing queues up while Redis is away.
 *
 * <p>Threads: {@link #write} and {@link #reregister} run on the cluster thread, which owns {@code seq}; the dirty
 * flag is also set from Lettuce threads and by the bounded cluster queue when it overflows.
 */
final class NodeWriter {
    private static final Logger log = LoggerFactory.getLogger(RedisCluster.class);
    /** Peers per HSET when the node re-registers. */
    private static final int CHUNK = 500;

    private final String node;
    private final ClusterCodec keys;
    private final RedisStore store;
    private final LocalDelivery local;
    private final AtomicLong dropped;
    private long seq;
    private volatile boolean dirty = true;

    NodeWriter(String node, ClusterCodec keys, RedisStore store, LocalDelivery local, AtomicLong dropped) {
        this.node = node;
        this.keys = keys;
        this.store = store;
        this.local = local;
        this.dropped = dropped;
    }

    boolean dirty() {
        return dirty;
    }

    void markDirty() {
        dirty = true;
    }

    /** A join ({@code data} != null) or departure of a local peer; skipped (dirty) while Redis is away. */
    void write(boolean up, String peer, String net, String data, boolean goodbye) {
        if (dirty || !up) {
            dirty = true; // written all at once by reregister() when Redis is back
            dropped.incrementAndGet();
            return;
        }
        long s = ++seq;
        String hash = keys.peers(node);
        if (data != null) {
            watch(store.hset(hash, Map.of(peer, ClusterCodec.value(s, net, data), ClusterCodec.SEQ_FIELD, Long.toString(s))));
            watch(store.publish(keys.events(), ClusterCodec.join(node, s, peer, net, data)));
        } else {
            watch(store.hdel(hash, peer));
            watch(store.hset(hash, Map.of(ClusterCodec.SEQ_FIELD, Long.toString(s))));
            watch(store.publish(keys.events(), ClusterCodec.leave(node, s, peer, net, goodbye)));
        }
    }

    /** Writes this node's whole directory again and tells the others to read it ({@code ["R", node, seq]}). */
    void reregister() {
        dirty = false;
        long s = ++seq;
        String hash = keys.peers(node);
        watch(store.del(hash));
        Map<String, String> chunk = new HashMap<>();
        int[] count = {0};
        local.forEachLocalPeer((net, peer, data) -> {
            count[0]++;
            chunk.put(peer, ClusterCodec.value(s, net, data));
            if (chunk.size() >= CHUNK) {
                watch(store.hset(hash, Map.copyOf(chunk)));
                chunk.clear();
            }
        });
        chunk.put(ClusterCodec.SEQ_FIELD, Long.toString(s));
        watch(store.hset(hash, chunk));
        watch(store.publish(keys.events(), ClusterCodec.reregistered(node, s)));
        log.debug("Cluster node {} registered its {} peer(s) (seq {})", node, count[0], s);
    }

    /** A write that fails makes the node re-register once Redis answers again. */
    private <T> void watch(CompletionStage<T> write) {
        write.whenComplete((r, err) -> {
            if (err != null) {
                dropped.incrementAndGet();
                dirty = true;
            }
        });
    }
}

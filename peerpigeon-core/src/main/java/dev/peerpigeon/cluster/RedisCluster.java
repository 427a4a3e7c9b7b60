package dev.peerpigeon.cluster;

import com.google.gson.JsonArray;
import dev.peerpigeon.protocol.MessageCodec;
import dev.peerpigeon.protocol.ProtocolException;
import dev.peerpigeon.signaling.Federation;
import dev.peerpigeon.signaling.LocalDelivery;
import dev.peerpigeon.signaling.PeerSession;
import dev.peerpigeon.support.Redaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Cluster mode: this node's {@link Federation} over a Redis shared by the nodes of one cluster (named by the hub
 * mesh namespace; keys and payloads in {@link ClusterCodec}). A routed signal is one PUBLISH to the target's node;
 * announces and departures are written to the node's peer hash and published on the events channel; every node
 * keeps a replica of the directory ({@link ClusterDirectory}), so admission (409) and routing never wait for Redis.
 * Each node beats every {@value #BEAT_MILLIS} ms; a node silent for {@value #TTL_MILLIS} ms is purged by the first
 * node that notices (its peers are reported peer-disconnected everywhere). A node found unregistered (Redis restarted
 * empty, or purged during an outage) or that missed writes re-registers its peers; a (re)subscription resyncs the
 * replica from the per-node hashes. Without Redis it serves its own peers, forgets the others' after the TTL, rejoins.
 *
 * <p>Threads: directory state and the write sequence are owned by the single cluster thread ({@link ClusterThread});
 * transport threads call the Federation methods, which read the replica or post to that thread; routed signals go
 * from the transport thread straight to Lettuce, and arrive on Lettuce's event loop, which delivers them locally.
 */
public final class RedisCluster implements Federation {
    private static final Logger log = LoggerFactory.getLogger(RedisCluster.class);
    static final long BEAT_MILLIS = 1000;
    static final long TTL_MILLIS = 5000;
    private static final int RESYNC_ATTEMPTS = 50;
    private static final long RESYNC_RETRY_MILLIS = 200;

    /** What {@code /health} shows. */
    public record Status(String namespace, int nodes, boolean redisUp) {
    }

    private final String namespace;
    private final String node = dev.peerpigeon.protocol.PeerId.generate().substring(0, 16);
    private final String shownUrl;
    private final List<String> secrets;   // the URL's user info and password, masked out of error messages
    private final ClusterCodec keys;
    private final LocalDelivery local;
    private final ClusterDirectory directory;
    private final ClusterThread thread;
    private final RedisStore store;
    private final AtomicLong signalsSent = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    // cluster thread only:
    private final Set<String> known = new HashSet<>();
    private final Map<String, Long> minSeq = new HashMap<>();
    private final NodeWriter writer;
    private boolean connected;
    private boolean subscribed;
    private boolean beatPending;
    private long graceUntil;
    private long downSince = -1;
    private boolean outageLogged;
    // any thread:
    private volatile boolean up;
    private volatile boolean stopped;
    private volatile int liveNodes;

    public RedisCluster(String redisUrl, String namespace, LocalDelivery local, int maxRemotePeers) {
        this.namespace = namespace;
        URI parsed = URI.create(redisUrl);
        this.shownUrl = Redaction.toString(parsed);
        String info = parsed.getRawUserInfo();
        this.secrets = info == null || info.isEmpty() ? List.of()
                : info.indexOf(':') < 0 ? List.of(info) : List.of(info, info.substring(info.indexOf(':') + 1));
        this.keys = new ClusterCodec(namespace);
        this.local = local;
        this.directory = new ClusterDirectory(local, maxRemotePeers);
        this.store = new RedisStore(redisUrl, new RedisStore.Listener() {
            @Override
            public void message(String channel, String text) {
                onMessage(channel, text);
            }

            @Override
            public void subscribed(String channel) {
                if (channel.equals(keys.events())) {
                    thread.post(RedisCluster.this::onSubscribed);
                }
            }

            @Override
            public void disconnected() {
                thread.post(() -> markDown("connection lost"));
            }
        }, keys.events(), keys.nodeChannel(node));
        this.writer = new NodeWriter(node, keys, store, local, dropped);
        // The store's callbacks use the thread only once start() connected.
        this.thread = new ClusterThread("peerpigeon-cluster-" + node, dropped, writer::markDirty);
    }

    // ------------------------------------------------------------------ lifecycle

    public void start() {
        log.info("Cluster '{}': node {} joining through Redis {}", namespace, node, shownUrl);
        thread.post(this::connect);
        thread.every(this::tick, BEAT_MILLIS);
    }

    /** Leaves the cluster (the others drop this node's peers at once), closes Redis. Bounded (a few seconds). */
    public void stop() {
        stopped = true;
        java.util.concurrent.CompletableFuture<Void> left = new java.util.concurrent.CompletableFuture<>();
        thread.post(() -> {
            if (!connected || !up) {
                left.complete(null);
                return;
            }
            store.del(keys.peers(node));
            store.zrem(keys.beats(), node);
            store.publish(keys.events(), ClusterCodec.gone(node)).whenComplete((r, e) -> left.complete(null));
        });
        try {
            left.get(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("Cluster '{}': leaving did not finish: {}", namespace, e.toString());
        }
        thread.shutdown();
        store.close();
    }

    public Status status() {
        return new Status(namespace, up ? Math.max(1, liveNodes) : 1, up);
    }

    /** Signals this node published to other nodes (for measurements). */
    public long signalsSent() {
        return signalsSent.get();
    }

    /** Writes and events dropped because Redis was unreachable or the cluster thread was full. */
    public long dropped() {
        return dropped.get();
    }

    public int remotePeerCount() {
        return directory.size();
    }

    // ------------------------------------------------------------------ Federation (transport threads)

    @Override
    public void localPeerJoined(PeerSession session, String networkName) {
        if (!session.isHub() && !stopped) {
            String peer = session.peerId();
            String data = session.discoveryData();
            thread.post(() -> writer.write(up, peer, networkName, data, false));
        }
    }

    @Override
    public void localPeerLeft(PeerSession session, String networkName, boolean goodbye) {
        if (!session.isHub() && !stopped) {
            String peer = session.peerId();
            thread.post(() -> writer.write(up, peer, networkName, null, goodbye));
        }
    }

    @Override
    public boolean routeSignal(dev.peerpigeon.protocol.Inbound msg, String fromPeerId, String targetPeerId,
                               String networkName) throws ProtocolException {
        ClusterDirectory.Entry e = directory.get(targetPeerId);
        if (e == null || !e.network().equals(networkName)) {
            return false;
        }
        if (!up) {
            dropped.incrementAndGet();
            throw new ProtocolException("Peer " + targetPeerId + " is on another cluster node, which cannot be reached now");
        }
        store.publish(keys.nodeChannel(e.node()), ClusterCodec.signal(msg.type(), fromPeerId, targetPeerId, networkName, msg.data()))
                .whenComplete((n, err) -> {
                    if (err != null || n == null || n == 0) {
                        dropped.incrementAndGet(); // failed, or nobody listens there any more (the node just died)
                    }
                });
        signalsSent.incrementAndGet();
        return true;
    }

    @Override
    public boolean isLiveElsewhere(String peerId) {
        return directory.isLive(peerId);
    }

    @Override
    public void sendRemotePeers(PeerSession session, String networkName) {
        long now = System.currentTimeMillis();
        for (ClusterDirectory.Entry e : directory.entries(networkName)) {
            if (!e.peerId().equals(session.peerId())) {
                session.connection().send(MessageCodec.notice("peer-discovered", e.discovery(), networkName,
                        session.peerId(), now, null));
            }
        }
    }

    // ------------------------------------------------------------------ messages (Lettuce threads)

    private void onMessage(String channel, String text) {
        if (text.startsWith("S")) {
            ClusterCodec.Signal sig = ClusterCodec.parseSignal(text);
            // Straight to the local peer (no hop): a signal whose target left meanwhile is dropped.
            if (sig == null || !local.deliverSignal(sig.type(), sig.data(), sig.from(), sig.target(), sig.net())) {
                dropped.incrementAndGet(); // malformed, or its target left meanwhile
            }
            return;
        }
        JsonArray a = ClusterCodec.parse(text, 2);
        if (a == null) {
            log.debug("Cluster '{}': unparseable message on {}", namespace, channel);
        } else if (channel.equals(keys.events())) {
            thread.post(() -> {
                try {
                    onEvent(a);
                } catch (RuntimeException malformed) { // written by something that is not a node of this version
                    log.debug("Cluster '{}': malformed event {}: {}", namespace, text, malformed.toString());
                }
            });
        }
    }

    // ------------------------------------------------------------------ cluster thread

    private void onEvent(JsonArray a) {
        String kind = ClusterCodec.str(a, 0);
        String from = ClusterCodec.str(a, 1);
        if (from == null || kind == null) {
            return;
        }
        if (from.equals(node)) {
            if (kind.equals("G") && !stopped) {
                writer.markDirty(); // purged by another node (we were silent too long): register again
            }
            return;
        }
        switch (kind) {
            case "G" -> {
                known.remove(from);
                directory.dropNode(from);
            }
            case "R" -> {
                minSeq.put(from, a.get(2).getAsLong());
                known.add(from);
                resync(from, 0);
            }
            case "J", "L" -> {
                if (a.size() < 6) {
                    return;
                }
                if (known.add(from)) {
                    resync(from, 0); // a node we had not heard of: read what it had before this event
                }
                if (!directory.accept(from, a.get(2).getAsLong())) {
                    return;
                }
                String peer = ClusterCodec.str(a, 3);
                String net = ClusterCodec.str(a, 4);
                if (kind.equals("J")) {
                    directory.put(new ClusterDirectory.Entry(from, peer, net, ClusterCodec.str(a, 5)));
                } else {
                    directory.remove(from, peer, "1".equals(ClusterCodec.str(a, 5)));
                }
            }
            default -> log.debug("Cluster '{}': unknown event '{}'", namespace, kind);
        }
    }

    private void connect() {
        if (stopped) {
            return;
        }
        store.connect().whenComplete((v, err) -> thread.post(() -> {
            if (err != null) {
                markDown(reason(err));
                thread.schedule(this::connect, BEAT_MILLIS);
            } else {
                connected = true;
                if (subscribed) { // confirmed first, so its beat was skipped: join now, not a beat later
                    tick();
                }
            }
        }));
    }

    private void onSubscribed() {
        subscribed = true;
        for (String n : known) {
            resync(n, 0); // events may have been missed while the subscription was down
        }
        tick();
    }

    /** Every beat: heartbeat, then liveness of the other nodes. */
    private void tick() {
        long now = System.currentTimeMillis();
        if (!up && downSince >= 0 && now - downSince > TTL_MILLIS && !known.isEmpty()) {
            log.info("Cluster '{}': Redis unreachable for {} ms: forgetting the peers of {} other node(s)", namespace,
                    now - downSince, known.size());
            for (String n : known) {
                directory.dropNode(n);
            }
            known.clear();
        }
        if (!connected || !subscribed || beatPending || stopped) {
            return;
        }
        beatPending = true;
        store.beat(keys.beats(), node, TTL_MILLIS, keys.prefix())
                .whenComplete((r, err) -> thread.post(() -> onBeat(r, err)));
    }

    @SuppressWarnings("unchecked")
    private void onBeat(List<Object> result, Throwable err) {
        beatPending = false;
        if (err != null || result == null || result.size() < 2) {
            markDown(err == null ? "unexpected heartbeat reply" : reason(err));
            return;
        }
        markUp();
        long now = System.currentTimeMillis();
        if (((Long) result.get(0)) == 1L) {
            writer.markDirty();
            graceUntil = now + TTL_MILLIS; // Redis may have restarted: the others need a beat to register again
        }
        if (writer.dirty()) {
            writer.reregister();
        }
        List<Object> live = (List<Object>) result.get(1);
        liveNodes = live.size();
        Set<String> alive = new HashSet<>();
        for (Object o : live) {
            String n = String.valueOf(o);
            alive.add(n);
            if (!n.equals(node) && known.add(n)) {
                resync(n, 0);
            }
        }
        if (now >= graceUntil) {
            for (String n : Set.copyOf(known)) {
                if (!alive.contains(n)) {
                    known.remove(n);
                    directory.dropNode(n);
                }
            }
        }
    }

    /** Reads {@code n}'s hash; applies it once it is at least as new as what this node already applied. */
    private void resync(String n, int attempt) {
        if (!connected) {
            return;
        }
        store.hgetall(keys.peers(n)).whenComplete((m, err) -> thread.post(() -> {
            if (!known.contains(n) || stopped) {
                return;
            }
            long h = m == null ? -1 : parseSeq(m.get(ClusterCodec.SEQ_FIELD));
            long required = Math.max(directory.lastSeq(n), minSeq.getOrDefault(n, 0L));
            if (err != null || h < required) {
                if (attempt < RESYNC_ATTEMPTS) {
                    thread.schedule(() -> resync(n, attempt + 1), RESYNC_RETRY_MILLIS);
                }
                return;
            }
            Map<String, ClusterDirectory.Entry> snapshot = new HashMap<>();
            m.forEach((peer, value) -> {
                JsonArray v = peer.equals(ClusterCodec.SEQ_FIELD) ? null : ClusterCodec.parse(value, 3);
                if (v != null) {
                    snapshot.put(peer, new ClusterDirectory.Entry(n, peer, ClusterCodec.str(v, 1), ClusterCodec.str(v, 2)));
                }
            });
            minSeq.remove(n);
            directory.replaceNode(n, h, snapshot);
        }));
    }

    private static long parseSeq(String s) {
        try {
            return s == null ? 0 : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private void markUp() {
        if (!up) {
            up = true;
            if (outageLogged) {
                log.info("Cluster '{}': Redis {} is reachable again after {} ms; rejoining", namespace, shownUrl,
                        System.currentTimeMillis() - downSince);
            } else {
                log.info("Cluster '{}': node {} joined through Redis {}", namespace, node, shownUrl);
            }
            outageLogged = false;
            downSince = -1;
            writer.markDirty();
            for (String n : known) {
                resync(n, 0);
            }
        }
    }

    private void markDown(String reason) {
        if (stopped) {
            return;
        }
        up = false;
        if (downSince < 0) {
            downSince = System.currentTimeMillis();
        }
        if (!outageLogged) {
            outageLogged = true;
            log.warn("Cluster '{}': Redis {} is unreachable ({}); serving this node's own peers until it is back",
                    namespace, shownUrl, reason);
        }
    }

    /** The failure's message, with the URL's credentials masked should Lettuce quote them. */
    private String reason(Throwable err) {
        Throwable t = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
        String text = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        if (t.getCause() != null && t.getCause().getMessage() != null) {
            text += ": " + t.getCause().getMessage();
        }
        for (String secret : secrets) {
            if (!secret.isEmpty()) {
                text = text.replace(secret, Redaction.MASK);
            }
        }
        return text;
    }

    @Override
    public String toString() {
        return "RedisCluster[" + namespace + " node " + node + ", redis " + (up ? "up" : "down") + ", remotePeers="
                + directory.size() + "]";
    }
}

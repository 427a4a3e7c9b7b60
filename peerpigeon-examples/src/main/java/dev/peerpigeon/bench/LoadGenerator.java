package dev.peerpigeon.bench;

import com.google.gson.JsonObject;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Load generator for PeerPigeon signaling servers (ours or the reference). Talks the real client's
 * frame shapes and prints one JSON line per workload. Every workload is bounded in time.
 *
 * <pre>
 * java -cp peerpigeon-bench.jar dev.peerpigeon.bench.LoadGenerator W2 url=ws://127.0.0.1:3000 pairs=50 seconds=10
 * </pre>
 * Workloads: W1 (peers, networks), W2 (pairs, seconds, window; {@code url2=} puts each pair's second peer on
 * that server, e.g. another cluster node), W3 (peers), W4 (url2, pairs, seconds),
 * W5 (peers, hold), W6 = W2 plus one flooding client. W2 and W4 are closed loop ({@code window} messages
 * in flight per pair; {@code warmup=S} runs the loop S seconds unmeasured first) unless {@code rate=R} is given: then open loop at R msgs/s in all, latency from the
 * intended send time ({@link OpenLoop}; also {@code warmup}, {@code drain}, {@code maxQueuedBytes},
 * {@code lateMs}).
 */
public final class LoadGenerator implements AutoCloseable {
    private final Map<String, String> args;
    final NioWsClient client;
    private final long timeoutNanos;
    /** The open-loop run in progress, for observers (tests); null before the first. */
    volatile OpenLoop current;

    LoadGenerator(Map<String, String> args) {
        this.args = args;
        try {
            this.client = new NioWsClient("load-client");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        this.timeoutNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(args.getOrDefault("timeout", "120")));
    }

    /** Stops the client loop and closes its connections (main exits instead; tests call this). */
    @Override
    public void close() {
        client.close();
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new HashMap<>();
        for (int i = 1; i < argv.length; i++) {
            String[] kv = argv[i].split("=", 2);
            args.put(kv[0], kv.length > 1 ? kv[1] : "true");
        }
        LoadGenerator g = new LoadGenerator(args);
        JsonObject result;
        long cpu0 = cpuNanos();
        long t0 = System.nanoTime();
        switch (argv.length == 0 ? "" : argv[0]) {
            case "W1" -> result = g.discovery("W1", g.intArg("peers", 1000), g.intArg("networks", 10));
            // url2= puts each pair's second peer on another server (a cluster node): the cross-node W2.
            case "W2" -> result = g.relay("W2", g.url(), args.getOrDefault("url2", g.url()), g.intArg("pairs", 50),
                    g.intArg("seconds", 10), false);
            case "W3" -> result = g.discovery("W3", g.intArg("peers", 500), 1);
            case "W4" -> result = g.relay("W4", g.url(), args.get("url2"), g.intArg("pairs", 50), g.intArg("seconds", 10), false);
            case "W5" -> result = g.idle(g.intArg("peers", 5000), g.intArg("hold", 5));
            case "W6" -> result = g.relay("W6", g.url(), g.url(), g.intArg("pairs", 50), g.intArg("seconds", 10), true);
            default -> {
                System.err.println("usage: LoadGenerator W1|W2|W3|W4|W5|W6 url=ws://host:port [key=value...]");
                System.exit(2);
                return;
            }
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        double cpu = (cpuNanos() - cpu0) / 1e9;
        result.addProperty("clientCpuSeconds", round(cpu));
        result.addProperty("clientCores", round(cpu / wall));
        System.out.println(result);
        System.out.flush();
        System.exit(0);
    }

    private String url() {
        return args.getOrDefault("url", "ws://127.0.0.1:3000");
    }

    private int intArg(String name, int def) {
        return Integer.parseInt(args.getOrDefault(name, Integer.toString(def)));
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static String newId(int i) {
        return String.format("%08x", i) + dev.peerpigeon.protocol.PeerId.generate().substring(8);
    }

    /** Connects peers with at most 500 handshakes in flight; returns failures. */
    private int connectAll(List<LoadPeer> peers, List<String> urls, boolean announce) throws InterruptedException {
        Semaphore inFlight = new Semaphore(500);
        AtomicInteger failures = new AtomicInteger();
        for (int i = 0; i < peers.size(); i++) {
            LoadPeer p = peers.get(i);
            inFlight.acquire();
            p.connect(client, urls.get(i), announce).whenComplete((ok, e) -> {
                inFlight.release();
                if (e != null) {
                    failures.incrementAndGet();
                }
            });
        }
        inFlight.acquire(500);
        inFlight.release(500);
        return failures.get();
    }

    private boolean waitUntil(java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(2_000_000);
        }
        return true;
    }

    // ------------------------------------------------------------------ W1 / W3

    JsonObject discovery(String name, int n, int networks) throws InterruptedException {
        AtomicInteger complete = new AtomicInteger();
        AtomicLong deliveries = new AtomicLong();
        int[] expected = new int[networks];
        for (int i = 0; i < n; i++) {
            expected[i % networks]++;
        }
        List<LoadPeer> peers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            LoadPeer p = new LoadPeer(newId(i), "net-" + (i % networks), (peer, frame) -> {
                if (LoadPeer.typeIs(frame, "peer-discovered")) {
                    deliveries.incrementAndGet();
                    peer.discovered++; // loop thread only
                    if (peer.discovered == expected[Integer.parseInt(peer.network.substring(4))] - 1) {
                        complete.incrementAndGet();
                    }
                }
            });
            peers.add(p);
        }
        long t0 = System.nanoTime();
        int failures = connectAll(peers, java.util.Collections.nCopies(n, url()), true);
        boolean ok = waitUntil(() -> complete.get() >= n - failures);
        double secs = (System.nanoTime() - t0) / 1e9;
        long[] handshakes = peers.stream().filter(p -> p.openNanos > 0)
                .mapToLong(p -> (p.openNanos - p.connectStartNanos) / 1000).sorted().toArray();
        JsonObject r = new JsonObject();
        r.addProperty("workload", name);
        r.addProperty("peers", n);
        r.addProperty("networks", networks);
        r.addProperty("complete", ok);
        r.addProperty("fullDiscoverySeconds", round(secs));
        r.addProperty("deliveries", deliveries.get());
        r.addProperty("deliveriesPerSecond", Math.round(deliveries.get() / secs));
        r.addProperty("handshakeP50Ms", LatencyRecorder.pct(handshakes, 50) / 1000.0);
        r.addProperty("handshakeP99Ms", LatencyRecorder.pct(handshakes, 99) / 1000.0);
        r.addProperty("errors", failures);
        peers.forEach(LoadPeer::close);
        return r;
    }

    // ------------------------------------------------------------------ W2 / W4 / W6

    /** What a relay workload does with the signals it receives; runs on the client loop thread. */
    private interface SignalHandler {
        void onSignal(LoadPeer peer, String type, byte[] frame);
    }

    private RelayPairs connectPairs(String urlA, String urlB, int pairs, SignalHandler onSignal, Runnable onError)
            throws InterruptedException {
        RelayPairs result = new RelayPairs();
        Map<LoadPeer, Set<String>> seen = new ConcurrentHashMap<>();
        java.util.function.BiConsumer<LoadPeer, byte[]> handler = (peer, frame) -> {
            String type = LoadPeer.typeOf(frame);
            switch (type) {
                case "peer-discovered" -> {
                    String id = LoadPeer.idAfter(frame, "\"peerId\":\"");
                    Set<String> s = seen.computeIfAbsent(peer, k -> ConcurrentHashMap.newKeySet());
                    if (id != null && !s.add(id)) {
                        result.duplicateDiscoveries.incrementAndGet();
                    }
                }
                case "offer", "answer", "ice-candidate" -> onSignal.onSignal(peer, type, frame);
                case "error" -> {
                    if (result.loading) {
                        onError.run();
                    } else if (result.setupErrors.incrementAndGet() == 1) {
                        result.firstSetupError = new String(frame, java.nio.charset.StandardCharsets.UTF_8);
                    }
                }
                default -> {
                }
            }
        };
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
            LoadPeer a = new LoadPeer(newId(2 * i), "relay", handler);
            LoadPeer b = new LoadPeer(newId(2 * i + 1), "relay", handler);
            a.partnerId = b.peerId;
            b.partnerId = a.peerId;
            result.peers.add(a);
            urls.add(urlA);
            result.peers.add(b);
            urls.add(urlB);
        }
        List<LoadPeer> peers = result.peers;
        result.failures = connectAll(peers, urls, true);
        java.util.function.IntSupplier undiscovered = () -> {
            int n = 0;
            for (int i = 0; i < peers.size(); i += 2) {
                Set<String> s = seen.get(peers.get(i));
                if (s == null || !s.contains(peers.get(i + 1).peerId)) {
                    n++;
                }
            }
            return n;
        };
        waitUntil(() -> undiscovered.getAsInt() == 0);
        result.undiscoveredPairs = undiscovered.getAsInt();
        result.loading = true;
        return result;
    }

    JsonObject relay(String name, String urlA, String urlB, int pairs, int seconds, boolean abuse) throws InterruptedException {
        if (args.containsKey("rate") && !abuse) {
            return openLoop(name, urlA, urlB, pairs, seconds, Long.parseLong(args.get("rate")));
        }
        int window = intArg("window", 8);
        int warmup = intArg("warmup", 0);
        AtomicLong received = new AtomicLong();
        LatencyRecorder latency = new LatencyRecorder(4_000_000);
        volatileRunning = true;
        java.util.concurrent.atomic.AtomicBoolean measuring = new java.util.concurrent.atomic.AtomicBoolean(warmup <= 0);
        RelayPairs set = connectPairs(urlA, urlB, pairs, (peer, type, frame) -> {
            if (measuring.get()) {
                received.incrementAndGet();
                long ts = LoadPeer.longAfter(frame, "ts=");
                if (ts > 0) {
                    latency.record((System.nanoTime() - ts) / 1000);
                }
            }
            if (volatileRunning) {
                String next = type.equals("offer") ? "answer" : type.equals("answer") ? "ice-candidate" : "offer";
                SignalFrames.send(peer, next, peer.partnerId);
            }
        }, () -> { });
        List<LoadPeer> peers = set.peers;
        int failures = set.failures;
        boolean discovered = set.discovered();
        LoadPeer flooder = null;
        Thread floodThread = null;
        AtomicLong flooded = new AtomicLong();
        if (abuse) {
            flooder = new LoadPeer(newId(999_999), "relay", (p, f) -> { });
            flooder.connect(client, urlA, true).join();
            LoadPeer f = flooder;
            String victim = peers.get(1).peerId;
            floodThread = new Thread(() -> {
                while (volatileRunning && !f.closed) {
                    f.signal("offer", "{\"type\":\"offer\",\"sdp\":\"v=0 flood flood flood\"}", victim);
                    flooded.incrementAndGet();
                    if (flooded.get() % 64 == 0) {
                        LockSupport.parkNanos(100_000);
                    }
                }
            }, "flooder");
            floodThread.start();
        }
        if (warmup <= 0) {
            System.out.println("{\"phase\":\"start\"}"); // the benchmark samples server CPU here and at "end"
            System.out.flush();
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < peers.size(); i += 2) {
            for (int w = 0; w < window; w++) {
                SignalFrames.send(peers.get(i), "offer", peers.get(i + 1).peerId);
            }
        }
        if (warmup > 0) {
            // The same loop, unmeasured, until both JITs have compiled the relay path; then the measured window.
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(warmup));
            measuring.set(true);
            System.out.println("{\"phase\":\"start\"}");
            System.out.flush();
            t0 = System.nanoTime();
        }
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(seconds));
        long count = received.get();
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.println("{\"phase\":\"end\"}");
        System.out.flush();
        volatileRunning = false;
        if (floodThread != null) {
            floodThread.join(2000);
        }
        long[] lat = latency.sorted();
        JsonObject r = new JsonObject();
        r.addProperty("workload", name);
        r.addProperty("pairs", pairs);
        r.addProperty("window", window);
        r.addProperty("warmupSeconds", warmup);
        r.addProperty("discovered", discovered);
        r.addProperty("relayedMessages", count);
        r.addProperty("msgsPerSecond", Math.round(count / secs));
        r.addProperty("latencyP50Ms", LatencyRecorder.pct(lat, 50) / 1000.0);
        r.addProperty("latencyP99Ms", LatencyRecorder.pct(lat, 99) / 1000.0);
        r.addProperty("latencyMaxMs", (lat.length == 0 ? 0 : lat[lat.length - 1]) / 1000.0);
        r.addProperty("duplicateDiscoveries", set.duplicateDiscoveries.get());
        r.addProperty("errors", failures);
        set.report(r);
        if (abuse) {
            r.addProperty("floodFramesSent", flooded.get());
            r.addProperty("flooderClosedByServer", flooder.closed);
            flooder.close();
        }
        peers.forEach(LoadPeer::close);
        return r;
    }

    /**
     * W2/W4 open loop ({@code rate=R} msgs/s over all pairs; {@code warmup=S} seconds at that rate before the
     * measured {@code seconds}, default 0; {@code drain=S} seconds to wait for messages still in flight,
     * default 5; {@code maxQueuedBytes} of unwritten frames per connection, default 256 KiB; {@code lateMs},
     * default 1): see {@link OpenLoop}. The run ends at the drain deadline at the latest.
     */
    JsonObject openLoop(String name, String urlA, String urlB, int pairs, int seconds, long rate) throws InterruptedException {
        int warmup = intArg("warmup", 0);
        int drain = intArg("drain", 5);
        OpenLoop[] loop = new OpenLoop[1]; // set before any signal can arrive: nothing is sent before the ticker runs
        RelayPairs set = connectPairs(urlA, urlB, pairs, (peer, type, frame) -> {
            OpenLoop l = loop[0];
            if (l != null) {
                l.onSignal(frame);
            }
        }, () -> {
            OpenLoop l = loop[0];
            if (l != null) {
                l.onError();
            }
        });
        OpenLoop ol = new OpenLoop(set.peers, rate, System.nanoTime() + 20_000_000, warmup, seconds, drain,
                Long.parseLong(args.getOrDefault("maxQueuedBytes", Integer.toString(256 * 1024))),
                Double.parseDouble(args.getOrDefault("lateMs", "1")));
        client.onLoop(() -> loop[0] = ol).join(); // published by the loop thread, which alone reads it
        current = ol;
        client.setTicker(ol);
        parkUntil(ol.measureStartNanos());
        System.out.println("{\"phase\":\"start\"}");
        System.out.flush();
        parkUntil(ol.endNanos());
        System.out.println("{\"phase\":\"end\"}");
        System.out.flush();
        while (System.nanoTime() < ol.drainDeadlineNanos() && !(ol.sendingDone && ol.receivedTotal >= ol.sentTotal)) {
            LockSupport.parkNanos(2_000_000);
        }
        client.setTicker(null);
        JsonObject figures;
        try {
            figures = client.onLoop(() -> ol.result(seconds)).get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("client loop did not answer", e);
        }
        long closed = set.peers.stream().filter(p -> p.closed).count();
        JsonObject r = new JsonObject();
        r.addProperty("workload", name);
        r.addProperty("pairs", pairs);
        r.addProperty("seconds", seconds);
        r.addProperty("warmupSeconds", warmup);
        r.addProperty("discovered", set.discovered());
        set.report(r);
        figures.entrySet().forEach(e -> r.add(e.getKey(), e.getValue()));
        r.addProperty("duplicateDiscoveries", set.duplicateDiscoveries.get());
        r.addProperty("connectFailures", set.failures);
        r.addProperty("closedConnections", closed);
        r.addProperty("errors", set.failures + closed + figures.get("lost").getAsLong()
                + figures.get("unsent").getAsLong() + figures.get("serverErrors").getAsLong());
        set.peers.forEach(LoadPeer::close);
        return r;
    }

    private static void parkUntil(long deadline) {
        long wait;
        while ((wait = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
        }
    }

    private volatile boolean volatileRunning;

    // ------------------------------------------------------------------ W5

    JsonObject idle(int n, int hold) throws InterruptedException {
        AtomicInteger complete = new AtomicInteger();
        List<LoadPeer> peers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            peers.add(new LoadPeer(newId(i), "idle-" + (i / 10), (peer, frame) -> {
                if (LoadPeer.typeIs(frame, "peer-discovered")) {
                    if (++peer.discovered == 9) {
                        complete.incrementAndGet();
                    }
                }
            }));
        }
        long t0 = System.nanoTime();
        int failures = connectAll(peers, java.util.Collections.nCopies(n, url()), true);
        int fullGroups = (n / 10) * 10;
        boolean ok = waitUntil(() -> complete.get() >= fullGroups - failures);
        double secs = (System.nanoTime() - t0) / 1e9;
        long open = peers.stream().filter(p -> p.opened && !p.closed).count();
        System.out.println("{\"workload\":\"W5\",\"phase\":\"ready\",\"open\":" + open + "}");
        System.out.flush();
        parkUntil(System.nanoTime() + TimeUnit.SECONDS.toNanos(hold));
        // Still open and idle for hold seconds: the memory they cost once start-up's transients are gone.
        System.out.println("{\"workload\":\"W5\",\"phase\":\"settled\"}");
        System.out.flush();
        JsonObject r = new JsonObject();
        r.addProperty("workload", "W5");
        r.addProperty("peers", n);
        r.addProperty("open", open);
        r.addProperty("complete", ok);
        r.addProperty("connectSeconds", round(secs));
        r.addProperty("errors", failures);
        peers.forEach(LoadPeer::close);
        return r;
    }
}

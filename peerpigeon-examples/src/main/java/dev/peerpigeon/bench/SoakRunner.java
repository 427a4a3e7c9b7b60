package dev.peerpigeon.bench;

import dev.peerpigeon.PeerPigeonServer;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Soak: 3 linked hubs in this JVM and a churning crowd (peers join, signal and leave continuously) for
 * MINUTES minutes (default 30). Prints, every minute, the heap after a full GC, connections, remote-peer
 * directory sizes, relayed signals and errors. The heap must stay flat. Not part of CI:
 *
 * <pre>java -cp peerpigeon-bench.jar dev.peerpigeon.bench.SoakRunner [minutes] [peers]</pre>
 */
public final class SoakRunner {
    private SoakRunner() {
    }

    public static void main(String[] args) throws Exception {
        int minutes = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        int crowd = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        List<PeerPigeonServer> hubs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            List<URI> boot = i == 0 ? List.of() : List.of(URI.create("ws://127.0.0.1:" + hubs.get(0).getPort()));
            hubs.add(PeerPigeonServer.builder().port(0).host("127.0.0.1").isHub(true).hubMeshNamespace("soak-mesh")
                    .defaultBootstrapPort(0).bootstrapHubs(boot).maxConnectionsPerIp(0).maxConnectionsPerIpPerSecond(0)
                    .build().start());
        }
        AtomicLong signalsReceived = new AtomicLong();
        AtomicLong errorFrames = new AtomicLong();
        AtomicLong connectFailures = new AtomicLong();
        AtomicLong joins = new AtomicLong();
        Random rnd = new Random(1);
        ConcurrentHashMap<String, LoadPeer> live = new ConcurrentHashMap<>();
        try (NioWsClient client = new NioWsClient("soak-client")) {
            long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(minutes);
            long nextReport = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            int minute = 0;
            System.out.printf("soak: %d minutes, crowd of %d over 3 hubs; baseline heap after GC %.1f MB%n",
                    minutes, crowd, heapAfterGcMb());
            while (System.nanoTime() < end) {
                // churn: top up the crowd, drop a few, and signal
                while (live.size() < crowd) {
                    String net = "net-" + rnd.nextInt(5);
                    LoadPeer p = new LoadPeer(dev.peerpigeon.protocol.PeerId.generate(), net, (peer, frame) -> {
                        String type = LoadPeer.typeOf(frame);
                        if (type.equals("offer")) {
                            signalsReceived.incrementAndGet();
                        } else if (type.equals("error") && LoadPeer.indexAfter(frame, "is not connected") < 0) {
                            errorFrames.incrementAndGet(); // targets that just left are expected under churn
                            if (errorFrames.get() <= 5) {
                                System.out.println("error frame: " + new String(frame, java.nio.charset.StandardCharsets.UTF_8));
                            }
                        }
                    });
                    live.put(p.peerId, p);
                    joins.incrementAndGet();
                    p.connect(client, "ws://127.0.0.1:" + hubs.get(rnd.nextInt(3)).getPort(), true)
                            .exceptionally(e -> {
                                // a peer the churn closed before its upgrade finished is not a failure
                                if (live.remove(p.peerId) != null) {
                                    connectFailures.incrementAndGet();
                                }
                                return null;
                            });
                }
                List<LoadPeer> all = new ArrayList<>(live.values());
                for (int i = 0; i < crowd / 15 && !all.isEmpty(); i++) {
                    LoadPeer leaving = all.get(rnd.nextInt(all.size()));
                    if (live.remove(leaving.peerId) != null) {
                        if (rnd.nextBoolean()) {
                            leaving.send("{\"type\":\"goodbye\",\"data\":{\"peerId\":\"" + leaving.peerId + "\"},\"networkName\":\"" + leaving.network + "\"}");
                        }
                        leaving.close();
                    }
                }
                for (int i = 0; i < crowd / 2 && all.size() > 1; i++) {
                    LoadPeer a = all.get(rnd.nextInt(all.size()));
                    LoadPeer b = all.get(rnd.nextInt(all.size()));
                    if (a != b && a.network.equals(b.network) && a.opened && b.opened) {
                        a.signal("offer", "{\"type\":\"offer\",\"sdp\":\"v=0 soak\"}", b.peerId);
                    }
                }
                LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
                if (System.nanoTime() >= nextReport) {
                    minute++;
                    nextReport += TimeUnit.MINUTES.toNanos(1);
                    StringBuilder conns = new StringBuilder();
                    for (PeerPigeonServer h : hubs) {
                        conns.append(h.getStats().connections()).append('/').append(h.getHubStats().remotePeers()).append(' ');
                    }
                    System.out.printf("minute %2d: heap after GC %6.1f MB | connections/remote peers per hub: %s| joins %d | "
                                    + "signals relayed %d | error frames %d | failed connects %d%n", minute, heapAfterGcMb(),
                            conns, joins.get(), signalsReceived.get(), errorFrames.get(), connectFailures.get());
                }
            }
        } finally {
            hubs.forEach(PeerPigeonServer::stop);
        }
    }

    private static double heapAfterGcMb() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
    }
}
